import type { Command } from 'commander';
import { itemHistory, updateItem } from '../../modules/catalog/item.edit.service.js';
import { CARRIERS, type Carrier } from '../../modules/catalog/item.schema.js';
import { fileItems, listItems, readItem } from '../../modules/catalog/item.service.js';
import { RETENTION_LABELS, type RetentionPeriod } from '../../modules/catalog/retention.js';
import { type Disclosure, withDisclosure } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import {
  clip,
  parsePositiveInt,
  printJson,
  printTable,
  readJsonFile,
  USER_OPTION,
  withDatabase,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

const UNMASK_OPTION = ['--unmask', '显示未脱敏的个人信息（需相应权限，记入事件日志）'] as const;
const PURPOSE_OPTION = ['--purpose <用途>', '查阅目的（记入事件日志）'] as const;

export function registerItemCommands(program: Command): void {
  const item = program.command('item').description('档案：归档、查看、列表、修改、版本');

  item
    .command('add')
    .description('归档 item.json 中的一件档案（或一个数组中的多件，全部成功或全部不归档），打印档号')
    .requiredOption('--file <文件>', 'JSON 文件路径，- 表示标准输入')
    .option(...USER_OPTION)
    .action(async (options: { file: string; user?: string }) => {
      const document = readJsonFile(options.file);
      const inputs = Array.isArray(document) ? document : [document];
      const filed = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'item.create', (user) =>
          fileItems(database.db, inputs, user.actor, { access: user.access }),
        ),
      );
      for (const entry of filed) process.stdout.write(`${entry.archiveCode}\n`);
    });

  item
    .command('show <档号>')
    .description('以 JSON 显示一件档案（个人信息默认脱敏）')
    .option(...USER_OPTION)
    .option(...UNMASK_OPTION)
    .option(...PURPOSE_OPTION)
    .action(async (archiveCode: string, options: { user?: string } & Partial<Disclosure>) => {
      printJson(
        await withDatabase((database) =>
          asCliUser(database.db, options.user, 'item.read', (user) =>
            readItem(
              database.db,
              archiveCode,
              user.actor,
              options.purpose,
              withDisclosure(user.access, options),
            ),
          ),
        ),
      );
    });

  item
    .command('list')
    .description('列出档案（个人信息默认脱敏）')
    .option('--category <类别代码>', '类别代码（含其子类别）')
    .option('--year <年度>', '年度')
    .option('--fonds <全宗号>', '全宗号')
    .option('--id-number <身份证号>', '按身份证号精确查找（库中为密文，经盲索引查找）')
    .option('--limit <条数>', '最多显示件数', '50')
    .option('--cursor <标记>', '从该 nextCursor 之后继续')
    .option('--json', '以 JSON 输出（含 nextCursor）')
    .option(...USER_OPTION)
    .option(...UNMASK_OPTION)
    .option(...PURPOSE_OPTION)
    .action(
      async (
        options: Partial<Disclosure> & {
          user?: string;
          category?: string;
          year?: string;
          fonds?: string;
          idNumber?: string;
          limit: string;
          cursor?: string;
          json?: boolean;
        },
      ) => {
        const query = {
          category: options.category,
          fonds: options.fonds,
          idNumber: options.idNumber,
          year: options.year === undefined ? undefined : parsePositiveInt(options.year, '--year', 9999),
          limit: parsePositiveInt(options.limit, '--limit', 1000),
          cursor: options.cursor === undefined ? undefined : parsePositiveInt(options.cursor, '--cursor'),
        };
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'item.read', (user) =>
            listItems(database.db, query, withDisclosure(user.access, options)),
          ),
        );
        if (options.json) {
          printJson(page);
          return;
        }
        printTable(
          ['档号', '题名', '姓名', '身份证号', '金额', '保管期限', '载体'],
          page.items.map((entry) => [
            entry.archiveCode,
            clip(entry.title),
            entry.name,
            entry.idNumber,
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
    .command('update <档号>')
    .description('修改档案字段（档号不变，旧版本保留）')
    .requiredOption('--file <文件>', '包含要修改字段的 JSON 文件，- 表示标准输入')
    .requiredOption('--reason <原因>', '变更原因')
    .option(...USER_OPTION)
    .action(async (archiveCode: string, options: { file: string; reason: string; user?: string }) => {
      const patch = readJsonFile(options.file);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
        throw invalid('VALIDATION_FAILED', '变更文件应为一个 JSON 对象');
      }
      const updated = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'item.update', (user) =>
          updateItem(database.db, archiveCode, { ...patch, reason: options.reason }, user.actor, {
            access: user.access,
          }),
        ),
      );
      process.stdout.write(`${updated.archiveCode} 已保存为第 ${updated.version} 版\n`);
    });

  item
    .command('history <档号>')
    .description('以 JSON 显示档案的全部版本（个人信息默认脱敏）')
    .option(...USER_OPTION)
    .option(...UNMASK_OPTION)
    .option(...PURPOSE_OPTION)
    .action(async (archiveCode: string, options: { user?: string } & Partial<Disclosure>) => {
      printJson(
        await withDatabase((database) =>
          asCliUser(database.db, options.user, 'item.read', (user) =>
            itemHistory(database.db, archiveCode, withDisclosure(user.access, options)),
          ),
        ),
      );
    });
}
