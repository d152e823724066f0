import type { Command } from 'commander';
import {
  addCategory,
  changeCategory,
  listCategories,
  removeCategory,
} from '../../modules/catalog/category.service.js';
import { changeFonds, createFonds, listFonds } from '../../modules/catalog/fonds.service.js';
import { RETENTION_LABELS } from '../../modules/catalog/retention.js';
import {
  removeRetentionOverride,
  retentionSchedule,
  setRetentionOverride,
} from '../../modules/catalog/retention.service.js';
import { actor, printJson, printTable, withDatabase } from '../context.js';

// fonds, category and retention: the scheme an agency files into.

export function registerCatalogCommands(program: Command): void {
  const fonds = program.command('fonds').description('全宗');
  fonds
    .command('list')
    .description('列出全宗')
    .action(async () => {
      const rows = await withDatabase((database) => listFonds(database.db));
      printTable(
        ['全宗号', '名称', '地区代码', '档号规则'],
        rows.map((row) => [row.code, row.name, row.regionCode, row.archiveCodePattern]),
      );
    });
  fonds
    .command('add')
    .description('新建全宗')
    .requiredOption('--code <全宗号>', '全宗号（4位）')
    .requiredOption('--name <名称>', '名称')
    .requiredOption('--region <地区代码>', '6位地区代码')
    .option('--pattern <档号规则>', '档号规则')
    .action(async (options: { code: string; name: string; region: string; pattern?: string }) => {
      const created = await withDatabase((database) =>
        createFonds(
          database.db,
          {
            code: options.code,
            name: options.name,
            regionCode: options.region,
            archiveCodePattern: options.pattern,
          },
          actor(),
        ),
      );
      process.stdout.write(`已新建全宗 ${created.code}，档号规则 ${created.archiveCodePattern}\n`);
    });
  fonds
    .command('set <全宗号>')
    .description('修改全宗名称、地区或（尚未归档时）档号规则')
    .option('--name <名称>', '名称')
    .option('--region <地区代码>', '6位地区代码')
    .option('--pattern <档号规则>', '档号规则')
    .action(async (code: string, options: { name?: string; region?: string; pattern?: string }) => {
      const changed = await withDatabase((database) =>
        changeFonds(
          database.db,
          code,
          {
            name: options.name,
            regionCode: options.region,
            archiveCodePattern: options.pattern,
          },
          actor(),
        ),
      );
      process.stdout.write(`已修改全宗 ${changed.code}\n`);
    });

  const category = program.command('category').description('分类方案');
  category
    .command('list')
    .description('列出类别（树形）')
    .option('--json', '以 JSON 输出')
    .action(async (options: { json?: boolean }) => {
      const rows = await withDatabase((database) => listCategories(database.db));
      if (options.json) {
        printJson(rows);
        return;
      }
      // Depth-first, so a category of any depth sits under its parent, indented by its level.
      const ordered: Array<{ row: (typeof rows)[number]; depth: number }> = [];
      const visit = (parentId: number | null, depth: number) => {
        for (const row of rows.filter((candidate) => candidate.parentId === parentId)) {
          ordered.push({ row, depth });
          visit(row.id, depth + 1);
        }
      };
      visit(null, 0);
      printTable(
        ['代码', '名称', '默认保管期限', '状态'],
        ordered.map(({ row, depth }) => [
          row.code,
          `${'  '.repeat(depth)}${row.name}`,
          RETENTION_LABELS[row.defaultRetention],
          row.status === 'active' ? '启用' : '停用',
        ]),
      );
    });
  category
    .command('add')
    .description('新增类别')
    .requiredOption('--code <类别代码>', '类别代码（大写字母或数字）')
    .requiredOption('--name <名称>', '名称')
    .requiredOption('--retention <保管期限>', '默认保管期限 Y/D100/D50/D30/D15/D10')
    .option('--parent <类别代码>', '上级类别代码')
    .option('--basis <依据>', '保管期限依据')
    .action(
      async (options: { code: string; name: string; retention: string; parent?: string; basis?: string }) => {
        await withDatabase((database) =>
          addCategory(
            database.db,
            {
              code: options.code,
              name: options.name,
              parent: options.parent,
              defaultRetention: options.retention,
              retentionBasis: options.basis,
            },
            actor(),
          ),
        );
        process.stdout.write(`已新增类别 ${options.code} ${options.name}\n`);
      },
    );
  const setStatus = (name: string, status: 'active' | 'retired', label: string) =>
    category
      .command(`${name} <类别代码>`)
      .description(`${label}类别`)
      .action(async (code: string) => {
        await withDatabase((database) => changeCategory(database.db, code, { status }, actor()));
        process.stdout.write(`已${label}类别 ${code}\n`);
      });
  setStatus('retire', 'retired', '停用');
  setStatus('activate', 'active', '启用');
  category
    .command('rename <类别代码> <名称>')
    .description('重命名类别')
    .action(async (code: string, name: string) => {
      await withDatabase((database) => changeCategory(database.db, code, { name }, actor()));
      process.stdout.write(`已将类别 ${code} 重命名为 ${name}\n`);
    });
  category
    .command('delete <类别代码>')
    .description('删除从未使用的类别')
    .action(async (code: string) => {
      await withDatabase((database) => removeCategory(database.db, code, actor()));
      process.stdout.write(`已删除类别 ${code}\n`);
    });

  const retention = program.command('retention').description('保管期限表');
  retention
    .command('list')
    .description('列出各类别的默认保管期限、依据和地区调整')
    .option('--json', '以 JSON 输出')
    .action(async (options: { json?: boolean }) => {
      const schedule = await withDatabase((database) => retentionSchedule(database.db));
      if (options.json) {
        printJson(schedule);
        return;
      }
      printTable(
        ['类别', '名称', '保管期限', '依据', '地区调整'],
        schedule.map((entry) => [
          entry.category,
          entry.categoryName,
          entry.defaultLabel,
          entry.basis,
          entry.overrides.map((rule) => `${rule.regionName}：${RETENTION_LABELS[rule.retention]}`).join('；'),
        ]),
      );
    });
  retention
    .command('set')
    .description('为某地区单独设置某类别的保管期限')
    .requiredOption('--category <类别代码>', '类别代码')
    .requiredOption('--region <地区代码>', '6位地区代码（省、市或县）')
    .requiredOption('--period <保管期限>', '保管期限 Y/D100/D50/D30/D15/D10')
    .requiredOption('--reason <原因>', '依据')
    .action(async (options: { category: string; region: string; period: string; reason: string }) => {
      await withDatabase((database) =>
        setRetentionOverride(
          database.db,
          {
            category: options.category,
            regionCode: options.region,
            retention: options.period,
            reason: options.reason,
          },
          actor(),
        ),
      );
      process.stdout.write(
        `已设置：类别 ${options.category} 在地区 ${options.region} 保管 ${options.period}\n`,
      );
    });
  retention
    .command('unset')
    .description('取消地区调整')
    .requiredOption('--category <类别代码>', '类别代码')
    .requiredOption('--region <地区代码>', '6位地区代码')
    .action(async (options: { category: string; region: string }) => {
      await withDatabase((database) =>
        removeRetentionOverride(database.db, options.category, options.region, actor()),
      );
      process.stdout.write(`已取消类别 ${options.category} 在地区 ${options.region} 的调整\n`);
    });
}
