import type { Command } from 'commander';
import { closeCase, concludeCase } from '../../modules/cases/case.close.js';
import { CASE_CONCLUSIONS, CASE_STATES } from '../../modules/cases/case.names.js';
import { assignCase, attachToCase, noteCase, openCase } from '../../modules/cases/case.service.js';
import { type CaseDetail, type CaseView, caseDetail, listCases } from '../../modules/cases/case.view.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  printTable,
  USER_OPTION,
  withDatabase,
  withSystem,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang case …: 核查案件 from the command line, through the same services, rights (fund.read to
// read, case.work to change) and region scope as the API. Every step answers with the case as the
// caller may see it (evidence masked, sensitive archives without a grant listed by 档号 only).

const byName = (names: Record<string, string>) =>
  new Map<string, string>([
    ...Object.entries(names).map(([code, name]) => [name, code] as [string, string]),
    ...Object.keys(names).map((code) => [code, code] as [string, string]),
  ]);
const STATE_BY_NAME = byName(CASE_STATES);
const CONCLUSION_BY_NAME = byName(CASE_CONCLUSIONS);

const clues = (value: string | undefined) =>
  value === undefined
    ? []
    : value
        .split(/[,，\s]+/)
        .filter(Boolean)
        .map((id) => {
          if (!/^\d{1,15}$/.test(id))
            throw invalid('CASE_INPUT_INVALID', `线索编号应为正整数，收到“${id.slice(0, 20)}”`);
          return Number(id);
        });

function line(view: CaseView): string {
  const conclusion = view.conclusionName
    ? `，结论 ${view.conclusionName}${view.recoverAmount ? `（追回 ${view.recoverAmount} 元）` : ''}`
    : '';
  return `核查案件 ${view.code}：${view.stateName}，${view.title}，地区 ${view.region}，承办人 ${view.assignee ?? '未指派'}${conclusion}${view.filedCode ? `，核查档案 ${view.filedCode}` : ''}\n`;
}

function show(detail: CaseDetail): void {
  const rows: Array<[string, string]> = [
    ['案件编号', detail.code],
    ['案件名称', detail.title],
    ['状态', detail.stateName],
    ['来源', detail.sourceName],
    ['立案依据', detail.sourceReason ?? ''],
    ['全宗', `${detail.fonds} ${detail.fondsName}`],
    ['地区', `${detail.region} ${detail.regionName ?? ''}`.trim()],
    ['承办人', detail.assignee ?? '未指派'],
    ['立案', `${detail.openedBy} ${detail.openedAt}`],
    ['线索', detail.clueCount > 0 ? `${detail.clueCount} 条，涉及 ${detail.clueAmount} 元` : ''],
    ['结论', detail.conclusionName ?? ''],
    ['追回金额', detail.recoverAmount ? `${detail.recoverAmount} 元` : ''],
    ['结论说明', detail.conclusionReason ?? ''],
    ['作出结论', detail.concludedBy ? `${detail.concludedBy} ${detail.concludedAt}` : ''],
    ['结案', detail.closedBy ? `${detail.closedBy} ${detail.closedAt}` : ''],
    ['核查档案', detail.filedCode ?? ''],
  ];
  printTable(
    ['项目', '内容'],
    rows.filter(([, value]) => value !== ''),
  );
  if (detail.clues.length > 0) {
    process.stdout.write('线索：\n');
    printTable(
      ['编号', '规则', '版本', '涉及金额'],
      detail.clues.map((clue) => [
        clue.id,
        `${clue.ruleName}（${clue.rule}）`,
        clue.ruleVersion,
        clue.amount,
      ]),
    );
  }
  process.stdout.write(`证据档案（${detail.evidence.length} 件）：\n`);
  for (const row of detail.evidence)
    process.stdout.write(
      `  ${row.archiveCode ?? '（不在您的档案范围内）'}${row.withheld ? '（敏感档案，未获查阅授权，内容不显示）' : row.title ? ` ${row.title}` : ''}\n`,
    );
  if (detail.notes.length > 0) {
    process.stdout.write('核查记录：\n');
    for (const note of detail.notes) process.stdout.write(`  ${note.at} ${note.author}：${note.text}\n`);
  }
  process.stdout.write('办理过程：\n');
  for (const step of detail.steps) process.stdout.write(`  ${step.at} ${step.actor} ${step.label}\n`);
}

type Options = { json?: boolean; user?: string };

/** Runs a change as the signed-in user with case.work, then shows the case as they see it. */
async function change(
  code: string,
  options: Options,
  work: (db: Parameters<typeof noteCase>[0], access: Parameters<typeof noteCase>[1]) => Promise<unknown>,
) {
  const detail = await withDatabase((database) =>
    asCliUser(database.db, options.user, 'case.work', async (user) => {
      await work(database.db, user.access);
      return caseDetail(database.db, user.access, code);
    }),
  );
  if (options.json) return printJson(detail);
  process.stdout.write(line(detail));
}

export function registerCaseCommands(program: Command): void {
  const command = program
    .command('case')
    .description(
      '核查案件：立案、指派、记录、附入证据、结论与结案（立案即冻结相关档案，结案解除并归档核查档案）',
    );

  command
    .command('open <案件名称>')
    .description('立案：由线索立案（--clues），或人工立案（须 --region 与 --reason 立案依据，如举报）')
    .requiredOption('--fonds <全宗号>', '全宗号（冻结与核查档案归入的全宗）')
    .option('--region <地区代码>', '地区（6 位行政区划代码）；由线索立案时取线索的地区')
    .option('--reason <立案依据>', '立案依据（人工立案必填，至少4个字）')
    .option('--clues <线索编号>', '线索编号，逗号分隔')
    .option('--items <档号>', '证据档案的档号，逗号分隔')
    .option('--assignee <账户>', '承办人')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        title: string,
        options: Options & {
          fonds: string;
          region?: string;
          reason?: string;
          clues?: string;
          items?: string;
          assignee?: string;
        },
      ) => {
        const detail = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'case.work', async (user) => {
            const code = await openCase(database.db, user.access, {
              title,
              fonds: options.fonds,
              ...(options.region !== undefined ? { region: options.region } : {}),
              ...(options.reason !== undefined ? { reason: options.reason } : {}),
              clues: clues(options.clues),
              items: (options.items ?? '')
                .split(/[,，]/)
                .map((code) => code.trim())
                .filter(Boolean),
              ...(options.assignee !== undefined ? { assignee: options.assignee } : {}),
            });
            return caseDetail(database.db, user.access, code);
          }),
        );
        if (options.json) return printJson(detail);
        process.stdout.write(line(detail));
      },
    );

  command
    .command('list')
    .description('核查案件列表（您范围内的地区），新的在前')
    .option('--state <状态>', `${Object.values(CASE_STATES).join('、')} 之一`)
    .option('--assignee <账户>', '只列该承办人的案件')
    .option('--region <地区代码>', '地区代码或其前缀')
    .option('--year <年度>', '立案年度')
    .option('--limit <条数>', '最多列出的条数（默认 50，最多 200）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        options: Options & {
          state?: string;
          assignee?: string;
          region?: string;
          year?: string;
          limit?: string;
        },
      ) => {
        const state = options.state === undefined ? undefined : STATE_BY_NAME.get(options.state.trim());
        if (options.state !== undefined && !state)
          throw invalid('CASE_INPUT_INVALID', `--state 应为 ${Object.values(CASE_STATES).join('、')} 之一`);
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.read', (user) =>
            listCases(database.db, user.access, {
              ...(state ? { state } : {}),
              ...(options.assignee ? { assignee: options.assignee } : {}),
              ...(options.region ? { region: options.region } : {}),
              ...(options.year ? { year: parsePositiveInt(options.year, '--year', 9999) } : {}),
              ...(options.limit ? { limit: parsePositiveInt(options.limit, '--limit', 200) } : {}),
            }),
          ),
        );
        if (options.json) return printJson(page);
        if (page.cases.length === 0) return void process.stdout.write('没有核查案件\n');
        printTable(
          ['案件编号', '状态', '案件名称', '地区', '承办人', '线索', '证据', '结论'],
          page.cases.map((row) => [
            row.code,
            row.stateName,
            row.title,
            row.region,
            row.assignee ?? '',
            row.clueCount,
            row.evidenceCount,
            row.conclusionName ?? '',
          ]),
        );
      },
    );

  command
    .command('show <案件编号>')
    .description('一个核查案件：办理过程、证据档案（脱敏）、核查记录与结论')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: Options) => {
      const detail = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', (user) =>
          caseDetail(database.db, user.access, code),
        ),
      );
      if (options.json) return printJson(detail);
      show(detail);
    });

  command
    .command('assign <案件编号> <承办人>')
    .description('指派承办人（有核查案件权限、范围包含案件地区的账户）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action((code: string, assignee: string, options: Options) =>
      change(code, options, (db, access) => assignCase(db, access, code, assignee)),
    );

  command
    .command('note <案件编号> <核查记录>')
    .description('记录核查情况（不得含身份证号）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action((code: string, text: string, options: Options) =>
      change(code, options, (db, access) => noteCase(db, access, code, text)),
    );

  command
    .command('attach <案件编号> [档号...]')
    .description('附入证据档案（档号）或并入线索（--clues）；新附入的档案随即冻结')
    .option('--clues <线索编号>', '线索编号，逗号分隔')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action((code: string, items: string[], options: Options & { clues?: string }) =>
      change(code, options, (db, access) =>
        attachToCase(db, access, code, { items, clues: clues(options.clues) }),
      ),
    );

  command
    .command('conclude <案件编号> <结论>')
    .description('作出结论：违规（须 --amount 追回金额）或 不违规（须 --reason 理由）')
    .option('--amount <金额>', '追回金额（元，至少 0.01，最多两位小数）')
    .option('--reason <说明>', '结论说明；不违规必填；追回金额超过线索所涉金额时须写明理由')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action((code: string, given: string, options: Options & { amount?: string; reason?: string }) => {
      const conclusion = CONCLUSION_BY_NAME.get(given.trim());
      if (!conclusion)
        throw invalid('CASE_INPUT_INVALID', `结论应为 ${Object.values(CASE_CONCLUSIONS).join(' 或 ')}`);
      return change(code, options, (db, access) =>
        concludeCase(db, access, code, {
          conclusion,
          ...(options.amount !== undefined ? { amount: options.amount } : {}),
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
        }),
      );
    });

  command
    .command('close <案件编号>')
    .description('结案：核查档案归档（稽核类，敏感），解除本案冻结；不违规的案件释放其线索')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: Options) => {
      const detail = await withSystem((system) =>
        asCliUser(system.database.db, options.user, 'case.work', async (user) => {
          await closeCase({ db: system.database.db, store: system.store, access: user.access }, code);
          return caseDetail(system.database.db, user.access, code);
        }),
      );
      if (options.json) return printJson(detail);
      process.stdout.write(line(detail));
    });
}
