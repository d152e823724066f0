import type { Command } from 'commander';
import type { RequestStatus } from '../../modules/access/access.queries.js';
import {
  type AccessRequestView,
  approveRequest,
  listAccessRequests,
  MAX_HOURS,
  rejectRequest,
  requestAccess,
  revokeGrant,
  withdrawRequest,
} from '../../modules/access/grant.service.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';
import { REQUEST_STATUS_NAMES } from '../../modules/access/request-status.js';
import { beijingDateTime } from '../../shared/beijing-time.js';

// 查阅申请与审批 from the command line: the same services and checks as the API, signed in with --user.

const STATUS_NAMES: Record<AccessRequestView['status'], string> = REQUEST_STATUS_NAMES;
const STATUSES = ['pending', 'approved', 'rejected', 'withdrawn', 'revoked'];

function describe(request: AccessRequestView): string {
  const until = request.expiresAt ? `，有效至 ${beijingDateTime(request.expiresAt)}` : '';
  return `查阅申请 ${request.id}：${STATUS_NAMES[request.status]}（${request.items.length} 件，${request.hours} 小时${until}）\n`;
}

function requestId(raw: string): number {
  return parsePositiveInt(raw, '申请编号', 2_147_483_647);
}

export function registerAccessCommands(program: Command): void {
  const access = program.command('access').description('敏感档案查阅申请与审批（安全保密员审批）');

  access
    .command('request <档号...>')
    .description('申请查阅敏感档案（写明目的与期限，由安全保密员审批）')
    .requiredOption('--purpose <用途>', '查阅目的（至少4个字，记入日志并印在水印上）')
    .option(
      '--hours <小时数>',
      `期限（小时；敏感档案最长 ${MAX_HOURS.sensitive}，限制档案最长 ${MAX_HOURS.restricted}）`,
    )
    .option(...USER_OPTION)
    .action(async (codes: string[], options: { purpose: string; hours?: string; user?: string }) => {
      const hours = options.hours === undefined ? undefined : parsePositiveInt(options.hours, '--hours');
      const created = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'item.read', (user) =>
          requestAccess(database.db, user.principal, { items: codes, purpose: options.purpose, hours }),
        ),
      );
      process.stdout.write(describe(created));
    });

  access
    .command('list')
    .description('查阅申请：安全保密员看到全部待办，其他用户只看到自己的')
    .option('--status <状态>', `只看某一状态：${STATUSES.join('、')}`)
    .option('--mine', '只看我提出的')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { status?: string; mine?: boolean; json?: boolean; user?: string }) => {
      if (options.status !== undefined && !STATUSES.includes(options.status))
        throw invalid('STATUS_INVALID', `--status 应为 ${STATUSES.join('、')} 之一`);
      const page = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'catalog.read', (user) =>
          listAccessRequests(database.db, user.principal, {
            mine: options.mine,
            status: options.status as RequestStatus | undefined,
            limit: 200,
          }),
        ),
      );
      if (options.json) return printJson(page);
      printTable(
        ['编号', '申请人', '状态', '件数', '期限', '目的', '审批人', '有效至'],
        page.requests.map((request) => [
          String(request.id),
          request.requester,
          STATUS_NAMES[request.status],
          String(request.items.length),
          `${request.hours}小时`,
          request.purpose,
          request.decidedBy ?? '',
          request.expiresAt ?? '',
        ]),
      );
    });

  access
    .command('approve <编号>')
    .description('批准查阅申请（安全保密员；可缩短期限）')
    .option('--hours <小时数>', '批准的期限（小时，不超过申请的期限）')
    .option('--note <理由>', '审批意见')
    .option(...USER_OPTION)
    .action(async (id: string, options: { hours?: string; note?: string; user?: string }) => {
      const hours = options.hours === undefined ? undefined : parsePositiveInt(options.hours, '--hours');
      const decided = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'access.grant', (user) =>
          approveRequest(database.db, user.principal, requestId(id), { hours, note: options.note }),
        ),
      );
      process.stdout.write(describe(decided));
    });

  for (const [name, description, run] of [
    ['reject', '驳回查阅申请（安全保密员，须写理由）', rejectRequest],
    ['revoke', '提前收回已批准的授权（安全保密员，须写理由）', revokeGrant],
  ] as const)
    access
      .command(`${name} <编号>`)
      .description(description)
      .requiredOption('--note <理由>', '理由')
      .option(...USER_OPTION)
      .action(async (id: string, options: { note: string; user?: string }) => {
        const decided = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'access.grant', (user) =>
            run(database.db, user.principal, requestId(id), { note: options.note }),
          ),
        );
        process.stdout.write(describe(decided));
      });

  access
    .command('withdraw <编号>')
    .description('撤回自己尚未审批的申请')
    .option(...USER_OPTION)
    .action(async (id: string, options: { user?: string }) => {
      const withdrawn = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'item.read', (user) =>
          withdrawRequest(database.db, user.principal, requestId(id)),
        ),
      );
      process.stdout.write(describe(withdrawn));
    });
}
