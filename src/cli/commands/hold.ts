import fs from 'node:fs';
import type { Command } from 'commander';
import { HOLD_SELECTOR_KINDS } from '../../modules/catalog/hold.names.js';
import {
  type HoldDetail,
  type HoldInput,
  type HoldView,
  liftHold,
  listHolds,
  placeHold,
  showHold,
} from '../../modules/catalog/hold.service.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser, promptHidden } from '../sign-in.js';

// yidang hold …: 冻结 from the command line, through the same service, rights (hold.manage) and scope
// as the API. A person is named by ID number: the service keeps its blind index only, and neither the
// answer nor an error repeats the number.

const KIND_BY_NAME = new Map<string, string>([
  ...Object.entries(HOLD_SELECTOR_KINDS).map(([code, name]) => [name, code] as [string, string]),
  ...Object.keys(HOLD_SELECTOR_KINDS).map((code) => [code, code] as [string, string]),
]);

/**
 * The person's ID number: `--id-number -` asks for it without echo on a terminal, or reads the first
 * line of standard input; else YIDANG_HOLD_ID_NUMBER. Typed on the command line it works, but stays in
 * the shell's history and the process list: the command says so.
 */
async function idNumberOf(option: string | undefined): Promise<string | undefined> {
  if (option === '-') {
    if (process.stdin.isTTY) return promptHidden('参保人身份证号');
    return fs.readFileSync(0, 'utf8').split(/\r?\n/, 1)[0]?.trim() || undefined;
  }
  if (option !== undefined)
    process.stderr.write(
      '提示：命令行上的身份证号会留在 shell 历史和进程列表中，请改用 --id-number -（提示输入或读标准输入）或环境变量 YIDANG_HOLD_ID_NUMBER\n',
    );
  return option ?? process.env.YIDANG_HOLD_ID_NUMBER;
}

// A hold by condition shows no count to whoever may not read items (the count would be content).
const count = (hold: HoldView) =>
  hold.itemCount === null ? '件数不向无查阅档案权限者显示' : `覆盖 ${hold.itemCount} 件`;

function line(hold: HoldView): string {
  return `冻结 ${hold.code}：${hold.stateName}，${hold.summary}，${count(hold)}\n`;
}

function show(hold: HoldDetail): void {
  const rows: Array<[string, string]> = [
    ['冻结编号', hold.code],
    ['状态', hold.stateName],
    ['冻结方式', hold.kindName],
    ['冻结范围', hold.summary],
    ['覆盖档案', count(hold)],
    ['冻结原因', hold.reason],
    ['案件编号', hold.caseRef ?? ''],
    ['来源', hold.sourceName],
    ['冻结人', hold.placedBy],
    ['冻结时间', hold.placedAt],
    ['解除人', hold.liftedBy ?? ''],
    ['解除时间', hold.liftedAt ?? ''],
    ['解除原因', hold.liftReason ?? ''],
  ];
  printTable(
    ['项目', '内容'],
    rows.filter(([, value]) => value !== ''),
  );
  if (hold.items === null) process.stdout.write('（无查阅档案权限，不列档号）\n');
  else if (hold.items.length > 0) {
    process.stdout.write(
      `档号（${hold.items.length < (hold.itemCount ?? 0) ? `前 ${hold.items.length} 个` : '全部'}）：\n`,
    );
    for (const code of hold.items) process.stdout.write(`  ${code}\n`);
  }
}

export function registerHoldCommands(program: Command): void {
  const hold = program
    .command('hold')
    .description('冻结：按档号、按条件或按类别和年度冻结档案，解除须说明原因');

  hold
    .command('place [档号...]')
    .description('冻结档案：列出档号，或给出全宗之外至少一项条件，或 --kind 按类别和年度 并给出类别和年度')
    .requiredOption('--fonds <全宗号>', '全宗号')
    .requiredOption('--reason <原因>', '冻结原因（至少4个字）')
    .option('--case <案件编号>', '案件编号')
    .option(
      '--kind <方式>',
      `冻结方式：${Object.values(HOLD_SELECTOR_KINDS).join('、')}（默认：有档号为指定档案，否则按条件）`,
    )
    .option('--category <类别代码>', '类别（含其子类）')
    .option('--year <年度>', '年度')
    .option(
      '--id-number <身份证号>',
      '参保人身份证号（只保存盲索引，不回显）：写 - 则提示输入（或读标准输入第一行）；也可用环境变量 YIDANG_HOLD_ID_NUMBER',
    )
    .option('--insured-number <参保人编号>', '参保人编号')
    .option('--org <机构代码>', '机构/问题代码')
    .option('--institution <定点机构编码>', '定点机构编码')
    .option('--business-type <业务类型>', '业务类型')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        codes: string[],
        options: {
          fonds: string;
          reason: string;
          case?: string;
          kind?: string;
          category?: string;
          year?: string;
          idNumber?: string;
          insuredNumber?: string;
          org?: string;
          institution?: string;
          businessType?: string;
          json?: boolean;
          user?: string;
        },
      ) => {
        const kind = options.kind === undefined ? undefined : KIND_BY_NAME.get(options.kind.trim());
        if (options.kind !== undefined && !kind)
          throw invalid(
            'HOLD_INPUT_INVALID',
            `--kind 应为 ${Object.values(HOLD_SELECTOR_KINDS).join('、')} 之一`,
          );
        const idNumber = await idNumberOf(options.idNumber);
        const input: HoldInput = {
          fonds: options.fonds,
          reason: options.reason,
          ...(kind ? { kind } : {}),
          ...(codes.length > 0 ? { items: codes } : {}),
          ...(options.case !== undefined ? { caseRef: options.case } : {}),
          ...(options.category !== undefined ? { category: options.category } : {}),
          ...(options.year !== undefined ? { year: parsePositiveInt(options.year, '--year', 9999) } : {}),
          ...(idNumber ? { idNumber } : {}),
          ...(options.insuredNumber !== undefined ? { insuredNumber: options.insuredNumber } : {}),
          ...(options.org !== undefined ? { org: options.org } : {}),
          ...(options.institution !== undefined ? { institution: options.institution } : {}),
          ...(options.businessType !== undefined ? { businessType: options.businessType } : {}),
        };
        const placed = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'hold.manage', (user) =>
            placeHold(database.db, user.access, input),
          ),
        );
        if (options.json) return printJson(placed);
        process.stdout.write(line(placed));
      },
    );

  hold
    .command('lift <冻结编号>')
    .description('解除冻结（须说明原因；已解除的不能再解除）')
    .requiredOption('--reason <原因>', '解除原因（至少4个字）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { reason: string; json?: boolean; user?: string }) => {
      const lifted = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'hold.manage', (user) =>
          liftHold(database.db, user.access, code, options.reason),
        ),
      );
      if (options.json) return printJson(lifted);
      process.stdout.write(line(lifted));
    });

  hold
    .command('list')
    .description('冻结列表（您档案范围内的全宗），新的在前')
    .option('--state <状态>', '冻结中 或 已解除（默认全部）')
    .option('--fonds <全宗号>', '只列该全宗')
    .option('--limit <条数>', '最多列出的条数（默认 50，最多 200）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: { state?: string; fonds?: string; limit?: string; json?: boolean; user?: string }) => {
        const states: Record<string, 'active' | 'lifted'> = {
          冻结中: 'active',
          active: 'active',
          已解除: 'lifted',
          lifted: 'lifted',
        };
        const state = options.state === undefined ? undefined : states[options.state.trim()];
        if (options.state !== undefined && !state)
          throw invalid('HOLD_INPUT_INVALID', '--state 应为 冻结中 或 已解除');
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'hold.manage', (user) =>
            listHolds(database.db, user.access, {
              ...(state ? { state } : {}),
              ...(options.fonds ? { fonds: options.fonds } : {}),
              ...(options.limit ? { limit: parsePositiveInt(options.limit, '--limit', 200) } : {}),
            }),
          ),
        );
        if (options.json) return printJson(page);
        if (page.holds.length === 0) return void process.stdout.write('没有冻结\n');
        printTable(
          ['冻结编号', '状态', '范围', '件数', '原因', '案件编号', '冻结人', '冻结时间'],
          page.holds.map((one) => [
            one.code,
            one.stateName,
            one.summary,
            one.itemCount ?? '—',
            one.reason,
            one.caseRef ?? '',
            one.placedBy,
            one.placedAt,
          ]),
        );
      },
    );

  hold
    .command('show <冻结编号>')
    .description('一项冻结：范围、原因、解除情况与覆盖的档号（有查阅档案权限者）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { json?: boolean; user?: string }) => {
      const found = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'hold.manage', (user) =>
          showHold(database.db, user.access, code),
        ),
      );
      if (options.json) return printJson(found);
      show(found);
    });
}
