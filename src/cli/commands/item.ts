import type { Command } from 'commander';
import { maskIdNumber } from '../../modules/catalog/id-number.js';
import { CARRIERS, type Carrier } from '../../modules/catalog/item.schema.js';
import {
  fileItems,
  itemHistory,
  listItems,
  readItem,
  updateItem,
} from '../../modules/catalog/item.service.js';
import { RETENTION_LABELS, type RetentionPeriod } from '../../modules/catalog/retention.js';
import { invalid } from '../../shared/errors.js';
import { actor, parsePositiveInt, printJson, printTable, readJsonFile, withDatabase } from '../context.js';

export function registerItemCommands(program: Command): void {
  const item = program.command('item').description('档案：归档、查看、列表、修改、版本');

  item
    .command('add')
    .description('归档 item.json 中的一件档案（或一个数组中的多件，全部成功或全部不归档），打印档号')
    .requiredOption('--file <path>', 'JSON 文件路径，- 表示标准输入')
    .action(async (options: { file: string }) => {
      const document = readJsonFile(options.file);
      const inputs = Array.isArray(document) ? document : [document];
      const filed = await withDatabase((database) => fileItems(database.db, inputs, actor()));
      for (const entry of filed) process.stdout.write(`${entry.archiveCode}\n`);
    });

  item
    .command('show <archiveCode>')
    .description('以 JSON 显示一件档案')
    .action(async (archiveCode: string) => {
      printJson(await withDatabase((database) => readItem(database.db, archiveCode, actor())));
    });

  item
    .command('list')
    .description('列出档案（表格中身份证号已脱敏）')
    .option('--category <code>', '类别代码（含其子类别）')
    .option('--year <year>', '年度')
    .option('--fonds <code>', '全宗号')
    .option('--limit <n>', '最多显示件数', '50')
    .option('--cursor <id>', '从该 nextCursor 之后继续')
    .option('--json', '以 JSON 输出（含 nextCursor）')
    .action(
      async (options: {
        category?: string;
        year?: string;
        fonds?: string;
        limit: string;
        cursor?: string;
        json?: boolean;
      }) => {
        const query = {
          category: options.category,
          fonds: options.fonds,
          year: options.year === undefined ? undefined : parsePositiveInt(options.year, '--year', 9999),
          limit: parsePositiveInt(options.limit, '--limit', 1000),
          cursor: options.cursor === undefined ? undefined : parsePositiveInt(options.cursor, '--cursor'),
        };
        const page = await withDatabase((database) => listItems(database.db, query));
        if (options.json) {
          printJson(page);
          return;
        }
        printTable(
          ['档号', '题名', '姓名', '身份证号', '金额', '保管期限', '载体'],
          page.items.map((entry) => [
            entry.archiveCode,
            entry.title.length > 30 ? `${entry.title.slice(0, 29)}…` : entry.title,
            entry.name,
            maskIdNumber(entry.idNumber),
            entry.amount,
            RETENTION_LABELS[entry.retention as RetentionPeriod] ?? entry.retention,
            CARRIERS[entry.carrier as Carrier] ?? entry.carrier,
          ]),
        );
        const more = page.nextCursor === null ? '' : `，继续查看：--cursor ${page.nextCursor}`;
        process.stderr.write(`共显示 ${page.items.length} 件${more}\n`);
      },
    );

  item
    .command('update <archiveCode>')
    .description('修改档案字段（档号不变，旧版本保留）')
    .requiredOption('--file <path>', '包含要修改字段的 JSON 文件，- 表示标准输入')
    .requiredOption('--reason <text>', '变更原因')
    .action(async (archiveCode: string, options: { file: string; reason: string }) => {
      const patch = readJsonFile(options.file);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
        throw invalid('VALIDATION_FAILED', '变更文件应为一个 JSON 对象');
      }
      const updated = await withDatabase((database) =>
        updateItem(database.db, archiveCode, { ...patch, reason: options.reason }, actor()),
      );
      process.stdout.write(`${updated.archiveCode} 已保存为第 ${updated.version} 版\n`);
    });

  item
    .command('history <archiveCode>')
    .description('以 JSON 显示档案的全部版本')
    .action(async (archiveCode: string) => {
      printJson(await withDatabase((database) => itemHistory(database.db, archiveCode)));
    });
}
