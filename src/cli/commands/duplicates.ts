import type { Command } from 'commander';
import type { Item } from '../../modules/catalog/item.schema.js';
import { listDuplicates, resolveDuplicate } from '../../modules/duplicates/duplicates.service.js';
import { fieldLabel } from '../../modules/import/import.report.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang duplicates: the report of archives filed twice, two items side by side, and its resolution.

const RULES = { same_business: '同一业务', same_serial: '同一业务流水号' } as const;
const SHOWN: Array<[string, (item: Item) => string | null]> = [
  ['档号', (item) => item.archiveCode],
  ['题名', (item) => item.title],
  ['姓名', (item) => item.name],
  ['身份证号', (item) => item.idNumber],
  ['金额', (item) => item.amount],
  ['日期', (item) => item.date],
  ['办理时间', (item) => item.handledAt],
  ['经办人', (item) => item.handler],
  ['经办机构', (item) => item.agency],
];

export function registerDuplicateCommands(program: Command): void {
  const duplicates = program.command('duplicates').description('重复归档清单与处理');

  duplicates
    .command('list')
    .description('列出重复标记：两件并列，标出取值不同的关键字段')
    .option('--status <状态>', 'open 待处理（默认）/ kept 都保留 / merged 已合并 / all', 'open')
    .option('--limit <条数>', '最多列出几组', '50')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (options: { status: string; limit: string; json?: boolean; user?: string }) => {
      if (!['open', 'kept', 'merged', 'all'].includes(options.status))
        throw invalid('STATUS_INVALID', '--status 应为 open、kept、merged 或 all');
      const status = options.status === 'all' ? undefined : (options.status as 'open' | 'kept' | 'merged');
      const pairs = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'item.read', async (user) => {
          const found = await listDuplicates(database.db, {
            status,
            limit: parsePositiveInt(options.limit, '--limit', 200),
            access: user.access,
          });
          return found.pairs;
        }),
      );
      if (options.json) return printJson(pairs);
      if (pairs.length === 0) return void process.stdout.write('没有重复标记\n');
      for (const { flag, item, other } of pairs) {
        const differs = new Set(flag.fields.map(fieldLabel));
        process.stdout.write(
          `\n重复标记 ${flag.id}（${RULES[flag.rule]}，${flag.status === 'open' ? '待处理' : flag.status === 'kept' ? '都保留' : '已合并'}）：不同的字段 ${[...differs].join('、') || '无'}\n`,
        );
        printTable(
          ['字段', '后归档的一件', '先归档的一件'],
          SHOWN.map(([label, value]) => [
            differs.has(label) ? `*${label}` : label,
            value(item),
            value(other),
          ]),
        );
      }
    });

  duplicates
    .command('resolve <编号>')
    .description('处理重复标记：--keep-both 都保留，或 --merge-into <档号> 以该件为准合并；须写 --reason')
    .option('--keep-both', '两件都保留（不是重复）')
    .option('--merge-into <档号>', '以这一件为准，另一件作为其重份保留')
    .requiredOption('--reason <理由>', '处理理由')
    .option(...USER_OPTION)
    .action(
      async (
        id: string,
        options: { keepBoth?: boolean; mergeInto?: string; reason: string; user?: string },
      ) => {
        if (Boolean(options.keepBoth) === Boolean(options.mergeInto))
          throw invalid('DECISION_INVALID', '请二选一：--keep-both 或 --merge-into <档号>');
        const flag = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'item.update', (user) =>
            resolveDuplicate(
              database.db,
              parsePositiveInt(id, '标记编号'),
              options.keepBoth
                ? { decision: 'keep_both', reason: options.reason }
                : { decision: 'merge', keep: options.mergeInto, reason: options.reason },
              user.actor,
              user.access,
            ),
          ),
        );
        process.stderr.write(
          `重复标记 ${flag.id} 已处理：${flag.status === 'kept' ? '都保留' : `以 ${options.mergeInto} 为准合并`}\n`,
        );
      },
    );
}
