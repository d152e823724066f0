import type { Command } from 'commander';
import {
  archivesOfClue,
  CLUE_STATE_LABELS,
  type ClueView,
  dismissClue,
  listClues,
  readClue,
} from '../../modules/fund/clue.service.js';
import { printJson, printTable, USER_OPTION, parsePositiveInt, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang clue list | show | dismiss: 审核线索 through the same services as /api/v1/fund/clues. The
// person is shown as the first characters of the blind index; linked archives masked as every listing.

interface Evidence {
  summary?: string;
  settlements?: Array<Record<string, unknown>>;
  lines?: Array<Record<string, unknown>>;
}

const stateOf = (clue: ClueView) => CLUE_STATE_LABELS[clue.state] ?? clue.state;

export function registerClueCommands(program: Command): void {
  const clue = program.command('clue').description('审核线索：列出、查看证据与关联档案、排除');

  clue
    .command('list')
    .description('列出您范围内的审核线索（按编号翻页）')
    .option('--run <编号>', '审核运行编号')
    .option('--rule <代码>', '规则代码')
    .option('--state <状态>', 'open 待处理 / in_case 已立案 / dismissed 已排除')
    .option('--institution <机构编码>', '医疗机构编码')
    .option('--cursor <位置>', '上一页末尾给出的翻页位置')
    .option('--limit <条数>', '每页条数，1～500，默认 50')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        run?: string;
        rule?: string;
        state?: string;
        institution?: string;
        cursor?: string;
        limit?: string;
        json?: boolean;
        user?: string;
      }) => {
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.read', (user) =>
            listClues(database.db, user.access, {
              ...(options.run !== undefined ? { runId: parsePositiveInt(options.run, '--run') } : {}),
              ...(options.rule !== undefined ? { rule: options.rule } : {}),
              ...(options.state !== undefined ? { state: options.state as never } : {}),
              ...(options.institution !== undefined ? { institution: options.institution } : {}),
              ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
              ...(options.limit !== undefined
                ? { limit: parsePositiveInt(options.limit, '--limit', 500) }
                : {}),
            }),
          ),
        );
        if (options.json) return printJson(page);
        printTable(
          ['编号', '规则', '结算流水号', '参保人', '机构', '疑点金额', '状态'],
          page.clues.map((row) => [
            row.id,
            row.ruleName,
            row.serials.join('、'),
            row.person,
            row.institutionCode,
            row.amount,
            stateOf(row),
          ]),
        );
        if (page.next) process.stdout.write(`下一页：--cursor ${page.next}\n`);
      },
    );

  clue
    .command('show <编号>')
    .description('查看一条线索：规则与版本、参数、证据（结算与明细）、关联档案（已脱敏）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (id: string, options: { json?: boolean; user?: string }) => {
      const shown = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', async (user) => {
          const found = await readClue(database.db, user.access, parsePositiveInt(id, '<编号>'));
          return { ...found, archives: await archivesOfClue(database.db, user.access, found.id) };
        }),
      );
      if (options.json) return printJson(shown);
      const evidence = (shown.evidence ?? {}) as Evidence;
      process.stdout.write(
        `线索 ${shown.id}：${shown.ruleName}（${shown.rule}，第 ${shown.ruleVersion} 版），${stateOf(shown)}\n` +
          `参数：${JSON.stringify(shown.params)}\n` +
          `说明：${evidence.summary ?? ''}\n` +
          `参保人：${shown.person ?? '—'}  地区：${shown.region}  疑点金额：${shown.amount} 元\n`,
      );
      if (shown.caseCode) process.stdout.write(`案件：${shown.caseCode}\n`);
      if (shown.dismissReason) process.stdout.write(`排除理由：${shown.dismissReason}\n`);
      printTable(
        ['结算流水号', '机构', '类别', '入院', '出院', '主诊断', '总费用', '基金支付'],
        (evidence.settlements ?? []).map((row) => [
          String(row.serial),
          String(row.institutionName),
          String(row.visitType),
          String(row.admitDate),
          String(row.dischargeDate),
          String(row.primaryDx),
          String(row.totalCost),
          String(row.fundPaid),
        ]),
      );
      if ((evidence.lines ?? []).length > 0)
        printTable(
          ['结算流水号', '行', '日期', '项目编码', '项目名称', '数量', '金额', '用药天数'],
          (evidence.lines ?? []).map((row) => [
            String(row.serial),
            String(row.lineNo),
            String(row.date),
            String(row.itemCode),
            String(row.itemName),
            String(row.quantity),
            String(row.amount),
            row.daysSupply === null ? '—' : String(row.daysSupply),
          ]),
        );
      process.stdout.write(`关联档案：${shown.archives.length === 0 ? '无' : ''}\n`);
      if (shown.archives.length > 0)
        printTable(
          ['结算流水号', '档号', '类别', '题名'],
          shown.archives.map((row) => [
            row.serial,
            row.archiveCode,
            row.categoryName,
            row.withheld ? '（敏感档案，未获授权）' : row.title,
          ]),
        );
    });

  clue
    .command('dismiss <编号>')
    .description('排除一条待处理的线索（须写理由）')
    .requiredOption('--reason <理由>', '排除理由（至少 4 个字）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (id: string, options: { reason: string; json?: boolean; user?: string }) => {
      const dismissed = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'case.work', (user) =>
          dismissClue(database.db, user.access, parsePositiveInt(id, '<编号>'), options.reason),
        ),
      );
      if (options.json) return printJson(dismissed);
      process.stdout.write(`线索 ${dismissed.id} 已排除：${dismissed.dismissReason}\n`);
    });
}
