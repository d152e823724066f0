import path from 'node:path';
import type { Command } from 'commander';
import { checkSummary } from '../../modules/check/check.report.js';
import { checkItemAfterIngest } from '../../modules/check/check.service.js';
import { ingestArchive, lagReport } from '../../modules/push/push.service.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { printJson, printTable, readBoundedFile, readJsonFile, USER_OPTION, withSystem } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang ingest: push an archive as a business system would (the same service as POST /api/v1/ingest),
// and the lag from 办理时间 to filing.

/** Files pushed with an archive are read whole, as the API takes them; past this, attach them with `file add`. */
const MAX_PUSHED_FILE = 256 * 1024 * 1024;

const readPushedFile = (file: string) => ({
  name: path.basename(file),
  content: readBoundedFile(file, MAX_PUSHED_FILE, '超过 256 MB：请先归档，再用 yidang file add 挂接'),
});

const hours = (seconds: number) => (seconds / 3600).toFixed(1);

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  // A day, or a time without an offset, is Beijing time (not the server's zone).
  const zoned = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? `${value}T00:00:00+08:00`
    : /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
      ? `${value.replace(' ', 'T')}+08:00`
      : value;
  const time = new Date(zoned);
  if (Number.isNaN(time.getTime()))
    throw invalid('RANGE_INVALID', `${name} 应为日期（2024-03-01）或 ISO 8601 时间`);
  return time;
}

export function registerIngestCommands(program: Command): void {
  const ingest = program.command('ingest').description('经办即归档：业务系统推送归档与归档时滞');

  ingest
    .command('push <档案.json>')
    .description('推送一件档案（幂等：同一来源系统与业务流水号只归档一次），打印档号')
    .requiredOption('--source <来源系统>', '来源系统，如 结算系统')
    .requiredOption('--serial <业务流水号>', '业务流水号')
    .option('--file <文件...>', '随档案一起归档的电子文件（可多个）')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(
      async (
        metadataFile: string,
        options: { source: string; serial: string; file?: string[]; json?: boolean; user?: string },
      ) => {
        const item = readJsonFile(metadataFile);
        const files = (options.file ?? []).map(readPushedFile);
        const { result, check } = await withSystem((system) =>
          asCliUser(system.database.db, options.user, 'item.create', async (user) => {
            const pushed = await ingestArchive(
              { db: system.database.db, store: system.store, access: user.access },
              { source: options.source, serial: options.serial, item, files },
              user.actor,
            );
            const context = {
              db: system.database.db,
              store: system.store,
              virus: { database: system.config.clamavDatabase },
            };
            return {
              result: pushed,
              check: pushed.replayed
                ? undefined
                : // The archive is filed either way: a check that cannot finish is said, not an error.
                  await checkItemAfterIngest(context, pushed.archiveCode, user.actor).then(
                    checkSummary,
                    (error: Error) => `四性检测未能完成：${error.message}`,
                  ),
            };
          }),
        );
        if (options.json) return printJson(result);
        process.stdout.write(`${result.archiveCode}\n`);
        process.stderr.write(
          result.replayed
            ? `业务流水号 ${options.serial} 此前已归档，未重复归档\n`
            : `已归档，归档时滞 ${hours(result.lagSeconds)} 小时，电子文件 ${result.files.length} 个\n`,
        );
        if (check) process.stderr.write(`${check}\n`);
      },
    );

  ingest
    .command('lag')
    .description('归档时滞统计：办理时间到归档，按来源系统')
    .option('--from <时间>', '开始（含），默认 30 天前')
    .option('--to <时间>', '结束（不含），默认现在')
    .option('--source <来源系统>', '只统计该来源系统')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(
      async (options: { from?: string; to?: string; source?: string; json?: boolean; user?: string }) => {
        const range = {
          from: parseTime(options.from, '--from'),
          to: parseTime(options.to, '--to'),
          source: options.source,
        };
        const report = await withSystem((system) =>
          asCliUser(system.database.db, options.user, 'catalog.read', () =>
            lagReport(system.database.db, range),
          ),
        );
        if (options.json) return printJson(report);
        process.stdout.write(`统计区间：${beijingDateTime(report.from)} 至 ${beijingDateTime(report.to)}\n`);
        printTable(
          ['来源系统', '件数', '中位时滞（小时）', '95分位（小时）', '最大（小时）', '超过24小时'],
          [...report.bySource, report.overall].map((row) => [
            row.source ?? '合计',
            row.count,
            hours(row.medianSeconds),
            hours(row.p95Seconds),
            hours(row.maxSeconds),
            row.overDay,
          ]),
        );
      },
    );
}
