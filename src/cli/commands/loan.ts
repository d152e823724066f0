import type { Command } from 'commander';
import { endLoan, handOver, renewLoan, returnLoan } from '../../modules/lending/lending.desk.js';
import { LOAN_KINDS, RETURN_CONDITIONS } from '../../modules/lending/lending.names.js';
import { requestLoan } from '../../modules/lending/lending.request.js';
import { approveLoan, rejectLoan, withdrawLoan } from '../../modules/lending/lending.service.js';
import { type LoanView, listLoanViews, loanView } from '../../modules/lending/lending.view.js';
import { listLoanRules, removeLoanRule, setLoanRule } from '../../modules/lending/rules.service.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang loan …: 借阅 from the command line, through the same services and checks as the API,
// signed in with --user. Kinds and conditions are given by their Chinese names or codes.

const KIND_BY_NAME = new Map<string, string>([
  ...Object.entries(LOAN_KINDS).map(([code, name]) => [name, code] as [string, string]),
  ...Object.keys(LOAN_KINDS).map((code) => [code, code] as [string, string]),
]);
const CONDITION_BY_NAME = new Map<string, string>([
  ...Object.entries(RETURN_CONDITIONS).map(([code, name]) => [name, code] as [string, string]),
  ...Object.keys(RETURN_CONDITIONS).map((code) => [code, code] as [string, string]),
]);
const VIEWS = { mine: '我的借阅', approvals: '待我审批', desk: '出库与归还', all: '全部' } as const;

function borrowerText(loan: LoanView): string {
  const { user, organisation, person, letterNo } = loan.borrower;
  return organisation
    ? `${organisation}${person ? `（${person}）` : ''} 介绍信 ${letterNo ?? ''}`
    : (user ?? '');
}

function describe(loan: LoanView): string {
  const due = loan.dueOn ? `，应还日 ${loan.dueOn}` : '';
  const back = loan.returnedOn ? `，实还日 ${loan.returnedOn}` : '';
  return `借阅单 ${loan.loanNo}：${loan.kindName}，${loan.stateName}（${loan.items.length} 件${due}${back}）\n`;
}

function show(loan: LoanView): void {
  const lines = [
    ['借阅单号', loan.loanNo],
    ['借阅方式', loan.kindName],
    ['状态', loan.stateName],
    ['借阅人', borrowerText(loan)],
    ['申请人', loan.requestedBy],
    ['借阅目的', loan.purpose],
    ['申请天数', String(loan.daysRequested)],
    ['批准天数', loan.daysApproved === null ? '' : String(loan.daysApproved)],
    [
      '审批',
      `${loan.approvedLevel}/${loan.approvalLevels} 级${loan.level1By ? `，一级 ${loan.level1By}` : ''}${loan.level2By ? `，二级 ${loan.level2By}` : ''}`,
    ],
    ['驳回理由', loan.rejectReason ?? ''],
    ['出库', loan.handedOverAt ? `${beijingDateTime(loan.handedOverAt)} ${loan.handedOverBy ?? ''}` : ''],
    ['应还日', loan.dueOn ?? ''],
    ['实还日', loan.returnedOn ?? ''],
    ['续借', `${loan.renewals}/${loan.renewalsAllowed} 次（每次最多 ${loan.renewalDays} 天）`],
  ].filter(([, value]) => value !== '');
  for (const [name, value] of lines) process.stdout.write(`${name}：${value}\n`);
  printTable(
    ['档号', '题名', '出库页数', '归还', '归还页数', '状况', '损坏或缺页'],
    loan.items.map((item) => [
      item.archiveCode,
      item.title ?? '',
      item.pagesOut,
      item.returnedAt ? beijingDateTime(item.returnedAt) : '',
      item.pagesReturned,
      item.conditionName ?? '',
      item.damage ?? '',
    ]),
  );
}

function days(raw: string | undefined, name: string): number | undefined {
  return raw === undefined ? undefined : parsePositiveInt(raw, name, 365);
}

export function registerLoanCommands(program: Command): void {
  const loan = program.command('loan').description('借阅：申请、审批、出库、续借、归还与借阅规则');

  loan
    .command('request <档号...>')
    .description('借阅申请（按借阅规则审批；外单位借阅由档案员登记，须有介绍信）')
    .requiredOption('--kind <方式>', `借阅方式：${Object.values(LOAN_KINDS).join('、')}`)
    .requiredOption('--purpose <目的>', '借阅目的（至少4个字）')
    .requiredOption('--days <天数>', '借阅天数')
    .option('--borrower <用户名>', '借阅人账户（档案员代他人登记）')
    .option('--org <单位>', '外单位名称')
    .option('--person <经办人>', '外单位经办人')
    .option('--letter <介绍信编号>', '外单位的介绍信编号')
    .option(...USER_OPTION)
    .action(
      async (
        codes: string[],
        options: {
          kind: string;
          purpose: string;
          days: string;
          borrower?: string;
          org?: string;
          person?: string;
          letter?: string;
          user?: string;
        },
      ) => {
        const kind = KIND_BY_NAME.get(options.kind.trim());
        if (!kind)
          throw invalid('LOAN_KIND_INVALID', `--kind 应为 ${Object.values(LOAN_KINDS).join('、')} 之一`);
        const created = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'loan.request', (user) =>
            requestLoan(database.db, user.principal, {
              kind,
              items: codes,
              purpose: options.purpose,
              days: days(options.days, '--days') as number,
              ...(options.borrower || options.org
                ? {
                    borrower: {
                      ...(options.borrower ? { user: options.borrower } : {}),
                      ...(options.org ? { organisation: options.org } : {}),
                      ...(options.person ? { person: options.person } : {}),
                      ...(options.letter ? { letterNo: options.letter } : {}),
                    },
                  }
                : {}),
            }),
          ),
        );
        process.stdout.write(describe(created));
      },
    );

  loan
    .command('list')
    .description('借阅单：我的借阅、待我审批、出库与归还（档案员）或全部（档案员）')
    .option(
      '--view <视图>',
      `mine ${VIEWS.mine}、approvals ${VIEWS.approvals}、desk ${VIEWS.desk}、all ${VIEWS.all}（默认 mine）`,
    )
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { view?: string; json?: boolean; user?: string }) => {
      const view = options.view ?? 'mine';
      if (!Object.hasOwn(VIEWS, view))
        throw invalid('INVALID_ARGUMENT', `--view 应为 ${Object.keys(VIEWS).join('、')} 之一`);
      const page = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.request', (user) =>
          listLoanViews(database.db, user.principal, { view: view as keyof typeof VIEWS, limit: 200 }),
        ),
      );
      if (options.json) return printJson(page);
      printTable(
        ['借阅单号', '方式', '状态', '借阅人', '件数', '应还日', '实还日', '目的'],
        page.loans.map((entry) => [
          entry.loanNo,
          entry.kindName,
          entry.overdue ? `${entry.stateName}（逾期）` : entry.stateName,
          borrowerText(entry),
          entry.items.length,
          entry.dueOn ?? '',
          entry.returnedOn ?? '',
          entry.purpose,
        ]),
      );
    });

  loan
    .command('show <借阅单号>')
    .description('一张借阅单的全部内容')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { json?: boolean; user?: string }) => {
      const found = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.request', (user) =>
          loanView(database.db, user.principal, loanNo),
        ),
      );
      if (options.json) return printJson(found);
      show(found);
    });

  loan
    .command('approve <借阅单号>')
    .description('批准借阅（本级审批；可缩短天数）')
    .option('--days <天数>', '批准的天数（不超过申请的天数）')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { days?: string; user?: string }) => {
      const approved = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.approve', (user) =>
          approveLoan(database.db, user.principal, loanNo, { days: days(options.days, '--days') }),
        ),
      );
      process.stdout.write(describe(approved));
    });

  loan
    .command('reject <借阅单号>')
    .description('驳回借阅（须说明理由）')
    .requiredOption('--reason <理由>', '驳回理由')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { reason: string; user?: string }) => {
      const rejected = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.approve', (user) =>
          rejectLoan(database.db, user.principal, loanNo, { reason: options.reason }),
        ),
      );
      process.stdout.write(describe(rejected));
    });

  loan
    .command('withdraw <借阅单号>')
    .description('撤回借阅申请（出库或开通前）')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { user?: string }) => {
      const withdrawn = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.request', (user) =>
          withdrawLoan(database.db, user.principal, loanNo),
        ),
      );
      process.stdout.write(describe(withdrawn));
    });

  loan
    .command('hand-over <借阅单号>')
    .description('出库：确认纸质档案已交借阅人，应还日自今日起算')
    .option('--pages <档号=页数...>', '各件出库页数，如 J013-…-0001=12')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { pages?: string[]; user?: string }) => {
      const pages: Record<string, number> = {};
      for (const entry of options.pages ?? []) {
        const at = entry.lastIndexOf('=');
        if (at < 1)
          throw invalid('INVALID_ARGUMENT', `--pages 应写作 档号=页数，实际为“${entry.slice(0, 80)}”`);
        pages[entry.slice(0, at)] = parsePositiveInt(entry.slice(at + 1), '页数', 100_000);
      }
      const out = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.handle', (user) =>
          handOver(database.db, user.principal, loanNo, { pages }),
        ),
      );
      process.stdout.write(describe(out));
    });

  loan
    .command('renew <借阅单号>')
    .description('续借（到期前，按借阅规则的次数与天数）')
    .option('--days <天数>', '续借天数（默认规则允许的最长天数）')
    .option(...USER_OPTION)
    .action(async (loanNo: string, options: { days?: string; user?: string }) => {
      const renewed = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.request', (user) =>
          renewLoan(database.db, user.principal, loanNo, { days: days(options.days, '--days') }),
        ),
      );
      process.stdout.write(describe(renewed));
    });

  loan
    .command('return <借阅单号> [档号...]')
    .description('归还：核对页数与状况（不写档号即全部未还的档案），全部归还后借阅完结；电子借阅则为完结')
    .option('--condition <状况>', `${Object.values(RETURN_CONDITIONS).join('、')}（默认 完好）`)
    .option('--pages <页数>', '归还页数（逐件归还时）')
    .option('--damage <说明>', '破损或缺页的情况')
    .option(...USER_OPTION)
    .action(
      async (
        loanNo: string,
        codes: string[],
        options: { condition?: string; pages?: string; damage?: string; user?: string },
      ) => {
        const condition = CONDITION_BY_NAME.get((options.condition ?? '完好').trim());
        if (!condition)
          throw invalid(
            'LOAN_RETURN_INVALID',
            `--condition 应为 ${Object.values(RETURN_CONDITIONS).join('、')} 之一`,
          );
        const back = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'loan.request', async (user) => {
            const found = await loanView(database.db, user.principal, loanNo);
            if (found.kind !== 'paper') return endLoan(database.db, user.principal, loanNo);
            return returnLoan(database.db, user.principal, loanNo, {
              items: codes,
              condition,
              pages:
                options.pages === undefined
                  ? null
                  : Number(parsePositiveInt(options.pages, '--pages', 100_000)),
              damage: options.damage ?? null,
            });
          }),
        );
        process.stdout.write(describe(back));
      },
    );

  const rules = loan.command('rules').description('借阅规则：按类别、敏感级别、保管期限设定');
  rules
    .command('list', { isDefault: true })
    .description('列出借阅规则')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { json?: boolean; user?: string }) => {
      const list = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.request', (user) =>
          listLoanRules(database.db, user.principal),
        ),
      );
      if (options.json) return printJson(list);
      printTable(
        [
          '编号',
          '类别',
          '敏感级别',
          '保管期限',
          '审批级数',
          '一级审批',
          '二级审批',
          '最长天数',
          '续借',
          '纸质出库',
          '说明',
        ],
        list.map((rule) => [
          rule.id,
          rule.category ?? '任何',
          rule.sensitivity ?? '任何',
          rule.retention ?? '任何',
          rule.approvalLevels,
          rule.level1Roles.join('、'),
          rule.approvalLevels === 2 ? rule.level2Roles.join('、') : '',
          rule.maxDays,
          `${rule.renewalsAllowed} 次×${rule.renewalDays} 天`,
          rule.paperMayLeave ? '可以' : '不可',
          rule.note ?? '',
        ]),
      );
    });
  rules
    .command('set')
    .description('设置一条借阅规则（条件相同的规则被替换）')
    .option('--category <类别代码>', '类别（不写为任何类别）')
    .option('--sensitivity <级别>', 'normal、sensitive 或 restricted（不写为任何级别）')
    .option('--retention <期限>', 'Y、D100、D50、D30、D15、D10（不写为任何期限）')
    .requiredOption('--max-days <天数>', '最长借阅天数')
    .option('--levels <级数>', '审批级数 1 或 2（默认 1）')
    .option('--level1 <角色...>', '一级审批角色（默认 archivist）')
    .option('--level2 <角色...>', '二级审批角色（默认 manager）')
    .option('--renewals <次数>', '可续借次数（默认 1）')
    .option('--renewal-days <天数>', '每次续借天数（默认 15）')
    .option('--no-paper', '纸质原件不得出库')
    .option('--note <说明>', '说明')
    .option(...USER_OPTION)
    .action(
      async (options: {
        category?: string;
        sensitivity?: string;
        retention?: string;
        maxDays: string;
        levels?: string;
        level1?: string[];
        level2?: string[];
        renewals?: string;
        renewalDays?: string;
        paper: boolean;
        note?: string;
        user?: string;
      }) => {
        const rule = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'loan.rules', (user) =>
            setLoanRule(database.db, user.principal, {
              category: options.category ?? null,
              sensitivity: options.sensitivity ?? null,
              retention: options.retention ?? null,
              maxDays: parsePositiveInt(options.maxDays, '--max-days', 365),
              ...(options.levels ? { approvalLevels: parsePositiveInt(options.levels, '--levels', 2) } : {}),
              ...(options.level1 ? { level1Roles: options.level1 } : {}),
              ...(options.level2 ? { level2Roles: options.level2 } : {}),
              ...(options.renewals !== undefined
                ? {
                    renewalsAllowed:
                      options.renewals === '0' ? 0 : parsePositiveInt(options.renewals, '--renewals', 10),
                  }
                : {}),
              ...(options.renewalDays
                ? { renewalDays: parsePositiveInt(options.renewalDays, '--renewal-days', 365) }
                : {}),
              paperMayLeave: options.paper,
              note: options.note ?? null,
            }),
          ),
        );
        process.stdout.write(
          `借阅规则 ${rule.id}：最长 ${rule.maxDays} 天，${rule.approvalLevels} 级审批，纸质${rule.paperMayLeave ? '可以' : '不得'}出库\n`,
        );
      },
    );
  rules
    .command('remove <编号>')
    .description('删除一条借阅规则（默认规则不能删除）')
    .option(...USER_OPTION)
    .action(async (id: string, options: { user?: string }) => {
      await withDatabase((database) =>
        asCliUser(database.db, options.user, 'loan.rules', (user) =>
          removeLoanRule(database.db, user.principal, parsePositiveInt(id, '编号', 2_147_483_647)),
        ),
      );
      process.stdout.write(`已删除借阅规则 ${id}\n`);
    });
}
