import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exportUseXlsx } from '../../modules/use/use.export.js';
import { catchUpUses, rebuildUses } from '../../modules/use/use.follower.js';
import { USE_EFFECT_NAMES } from '../../modules/use/use.names.js';
import { listUses, recordEffect, type UseQuery } from '../../modules/use/use.service.js';
import { STATS_DIMENSIONS, useStats } from '../../modules/use/use.stats.js';
import { invalid } from '../../shared/errors.js';
import { clip, parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang use list | stats | effect: the 利用登记簿 and 利用统计 through the same services as
// /api/v1/use/…. The CLI has no background follower, so each command first takes in the uses
// logged since the register last read the log.

interface FilterOptions {
  from?: string;
  to?: string;
  kind?: string;
  fonds?: string;
  category?: string;
  department?: string;
  item?: string;
  loan?: string;
  user?: string;
  json?: boolean;
}

function filterOptions(command: Command): Command {
  return command
    .option('--from <日期>', '起始日期（北京时间，含），如 2026-01-01 或 2026-01')
    .option('--to <日期>', '截止日期（北京时间，含），如 2026-12-31 或 2026-12')
    .option(
      '--kind <方式>',
      '利用方式：paper（实体借出）、electronic（电子阅览）、copy（复制）、query（查询答复）',
    )
    .option('--fonds <全宗号>', '全宗号')
    .option('--category <类别代码>', '类别代码（含下级类别）')
    .option('--department <部门>', '利用部门')
    .option('--item <档号>', '档号')
    .option('--loan <借阅单号>', '借阅单号，如 JY2026-000123')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION);
}

const query = (options: FilterOptions): UseQuery => ({
  from: options.from,
  to: options.to,
  kind: options.kind,
  fonds: options.fonds,
  category: options.category,
  department: options.department,
  item: options.item,
  loan: options.loan,
});

function writeOut(file: string, content: Buffer): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Written beside and renamed, so a killed command never leaves half a workbook under the real name.
  const partial = `${file}.part`;
  fs.writeFileSync(partial, content, { mode: 0o600 });
  fs.renameSync(partial, file);
}

export function registerUseCommands(program: Command): void {
  const use = program.command('use').description('利用登记簿与利用统计');

  filterOptions(
    use
      .command('list')
      .description('利用登记簿（最新的在前；档案员、管理人员看管辖范围内的全部，其他借阅人看本人的）')
      .option('--limit <条数>', '条数', '50')
      .option('--before <位置>', '从上次输出的“下一页”位置继续'),
  ).action(async (options: FilterOptions & { limit: string; before?: string }) => {
    const page = await withDatabase(async (database) => {
      await catchUpUses(database.db);
      return asCliUser(database.db, options.user, 'loan.request', (user) =>
        listUses(database.db, user.access, {
          ...query(options),
          limit: parsePositiveInt(options.limit, '--limit', 1000),
          before: options.before,
        }),
      );
    });
    if (options.json) return printJson(page);
    printTable(
      ['序号', '利用时间', '方式', '利用者', '利用部门', '档号', '题名', '目的', '利用效果'],
      page.uses.map((entry) => [
        entry.ordinal === 0 ? entry.seq : `${entry.seq}.${entry.ordinal}`,
        entry.usedAt,
        entry.kindName,
        clip(entry.who),
        clip(entry.department),
        entry.archiveCode ?? entry.detail ?? '—',
        entry.title === null ? '—' : clip(entry.title),
        entry.purpose === null ? '—' : clip(entry.purpose),
        entry.effectName ?? '—',
      ]),
    );
    process.stderr.write(
      `共显示 ${page.uses.length} 条${page.nextBefore ? `；下一页：--before ${page.nextBefore}` : ''}\n`,
    );
  });

  filterOptions(
    use
      .command('stats')
      .description('利用统计：按期间（北京时间）及利用方式、档案类别或利用部门计数，可导出 XLSX')
      .option('--period <周期>', '统计周期：month（月）、quarter（季度）、year（年）', 'month')
      .option(
        '--by <维度>',
        '统计维度：kind（利用方式）、category（档案类别）、department（利用部门）、none（合计）',
        'kind',
      )
      .option('--xlsx <文件>', '另存为 XLSX（统计表与利用登记簿）'),
  ).action(async (options: FilterOptions & { period: string; by: string; xlsx?: string }) => {
    const asked = { ...query(options), period: options.period, by: options.by };
    const result = await withDatabase(async (database) => {
      await catchUpUses(database.db);
      return asCliUser(database.db, options.user, 'use.stats', async (user) => ({
        stats: await useStats(database.db, user.access, asked),
        file: options.xlsx ? await exportUseXlsx(database.db, user.access, asked) : undefined,
      }));
    });
    if (options.xlsx && result.file) writeOut(options.xlsx, result.file.xlsx);
    if (options.json) return printJson(result.stats);
    const { stats } = result;
    printTable(
      ['统计期间', STATS_DIMENSIONS[stats.by], '利用次数', '利用档案件数', '已记录利用效果'],
      [
        ...stats.rows.map((row) => [row.periodName, row.label, row.uses, row.items, row.effects]),
        ['合计', '', stats.total.uses, '', stats.total.effects],
      ],
    );
    if (options.xlsx) process.stderr.write(`已写出 ${options.xlsx}\n`);
  });

  use
    .command('effect <序号> <效果>')
    .description(
      `记录利用效果（借阅人本人或档案员）：效果为 ${Object.values(USE_EFFECT_NAMES).join('、')}；序号为 yidang use list 的“序号”`,
    )
    .option('--item <档号>', '档号（同一次出库有多件时必填）')
    .option('--note <说明>', '说明')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        seqText: string,
        effect: string,
        options: { item?: string; note?: string; json?: boolean; user?: string },
      ) => {
        const match = /^(\d{1,15})(?:\.\d{1,6})?$/.exec(seqText.trim());
        if (!match)
          throw invalid(
            'INVALID_ARGUMENT',
            `序号应为 yidang use list 显示的数字，实际为“${seqText.slice(0, 20)}”`,
          );
        const entry = await withDatabase(async (database) => {
          await catchUpUses(database.db);
          return asCliUser(database.db, options.user, 'loan.request', (user) =>
            recordEffect(database.db, user.access, {
              seq: Number(match[1]),
              item: options.item ?? null,
              effect,
              note: options.note ?? null,
            }),
          );
        });
        if (options.json) return printJson(entry);
        process.stdout.write(
          `已记录利用效果：${entry.archiveCode ?? entry.detail ?? ''} ${entry.effectName ?? ''}${entry.effectNote ? `（${entry.effectNote}）` : ''}\n`,
        );
      },
    );

  // Like yidang reindex: the operator on the machine rebuilds derived data; only counts are printed.
  use
    .command('rebuild')
    .description('重建利用登记簿（从事件日志重新登记全部利用，利用效果一并重放）')
    .action(async () => {
      const run = await withDatabase((database) => rebuildUses(database.db));
      process.stderr.write(`利用登记簿已重建：${run.rows} 条利用登记（读取日志 ${run.events} 条）\n`);
    });
}
