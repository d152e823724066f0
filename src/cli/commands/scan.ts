import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { checkSummary } from '../../modules/check/check.report.js';
import { checkItemAfterIngest } from '../../modules/check/check.service.js';
import { batchViews, createBatch } from '../../modules/scan/qc.service.js';
import {
  addScan,
  pagesToRescan,
  type ScanPageView,
  type ScanResult,
  scanPages,
  setScanPolicy,
} from '../../modules/scan/scan.service.js';
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

// yidang scan: scanned paper into an item (resolution checked, pages queued for OCR), the pages and
// the ones to scan again, digitization batches, and each fonds' resolution policy.

const COLOURS = { bitonal: '黑白', gray: '灰度', color: '彩色' } as const;
const FLAGS = {
  low_resolution: '分辨率不足',
  low_confidence: '识别置信度低',
  no_text: '未识别出文字',
} as const;
const OCR = { queued: '排队', running: '识别中', done: '完成', failed: '失败' } as const;
export const BATCH_STATUS = {
  scanning: '扫描中',
  sampled: '质检中',
  accepted: '验收合格',
  returned: '退回返工',
} as const;

const flagText = (flags: readonly string[]) =>
  flags.map((flag) => FLAGS[flag as keyof typeof FLAGS] ?? flag).join('、') || '—';
const dpiText = (page: { dpiX: number | null; dpiY: number | null }) =>
  page.dpiX === null ? '未记录' : page.dpiX === page.dpiY ? String(page.dpiX) : `${page.dpiX}×${page.dpiY}`;

function printPages(pages: readonly ScanPageView[]): void {
  printTable(
    ['图像名', '分辨率(dpi)', '像素', '色彩', 'OCR', '置信度', '标记'],
    pages.map((page) => [
      page.imageName,
      dpiText(page),
      `${page.width}×${page.height}`,
      COLOURS[page.colourMode],
      OCR[page.ocrStatus],
      page.ocrConfidence === null ? '—' : page.ocrConfidence.toFixed(1),
      flagText(page.flags),
    ]),
  );
}

function openScan(file: string): fs.ReadStream {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw invalid('FILE_NOT_FOUND', `找不到文件“${file}”`);
  }
  if (!stat.isFile()) throw invalid('FILE_NOT_FOUND', `“${file}”不是普通文件`);
  return fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
}

export function registerScanCommands(program: Command): void {
  const scan = program
    .command('scan')
    .description('纸质档案扫描件：上传、页面、待重扫、数字化批次、分辨率要求');

  scan
    .command('add <档号> <文件...>')
    .description('把扫描件（TIFF/JPEG/PNG/PDF）挂接到档案：检查分辨率，按档号+页序号命名，排队 OCR')
    .option('--batch <编号>', '所属数字化批次')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(
      async (
        archiveCode: string,
        files: string[],
        options: { batch?: string; json?: boolean; user?: string },
      ) => {
        const batchId = options.batch === undefined ? undefined : parsePositiveInt(options.batch, '--batch');
        const results = await withSystem((system) =>
          asCliUser(system.database.db, options.user, 'file.add', async (user) => {
            const added: ScanResult[] = [];
            let refused: { file: string; error: unknown } | undefined;
            // One file after another, each whole or not at all; a refused file stops the rest, and
            // what was stored before it is still reported and checked.
            for (const file of files) {
              try {
                added.push(
                  await addScan(
                    { db: system.database.db, store: system.store, access: user.access },
                    archiveCode,
                    { stream: openScan(file), fileName: path.basename(file) },
                    user.actor,
                    { batchId },
                  ),
                );
              } catch (error) {
                refused = { file, error };
                break;
              }
            }
            let check: string | undefined;
            if (added.length > 0)
              check = await checkItemAfterIngest(
                {
                  db: system.database.db,
                  store: system.store,
                  virus: { database: system.config.clamavDatabase },
                },
                archiveCode,
                user.actor,
              ).then(checkSummary, (error: Error) => `四性检测未能完成：${error.message}`);
            return { added, check, refused };
          }),
        );
        if (options.json) printJson(results.added);
        else
          for (const result of results.added) {
            const low = result.lowResolution.length;
            process.stdout.write(
              `${result.fileName}\t${result.pages.length} 页\t${low > 0 ? `${low} 页分辨率不足，已标记重扫` : '分辨率合格'}\n`,
            );
          }
        if (results.added.length > 0)
          process.stderr.write(
            `已挂接 ${results.added.length} 个扫描件，页面已排队等待 OCR（yidang ocr status 查看进度）\n${results.check}\n`,
          );
        if (results.refused) {
          const rest = files.length - results.added.length - 1;
          if (results.added.length > 0 || rest > 0)
            process.stderr.write(
              `“${results.refused.file}”未挂接${rest > 0 ? `，其后 ${rest} 个文件未处理` : ''}；已挂接的不要重复上传\n`,
            );
          throw results.refused.error;
        }
      },
    );

  scan
    .command('pages <档号>')
    .description('列出档案的扫描页：分辨率、色彩、OCR 状态与置信度、标记')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (archiveCode: string, options: { json?: boolean; user?: string }) => {
      const pages = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'file.read', (user) =>
          scanPages(database.db, archiveCode, user.access),
        ),
      );
      if (options.json) return printJson(pages);
      if (pages.length === 0) return void process.stdout.write('该档案没有扫描页\n');
      printPages(pages);
    });

  scan
    .command('rescan')
    .description('待重扫的页：分辨率不足、识别置信度低、未识别出文字')
    .option('--batch <编号>', '只列该数字化批次')
    .option('--limit <条数>', '最多列出几页', '100')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (options: { batch?: string; limit: string; json?: boolean; user?: string }) => {
      const pages = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'file.read', (user) =>
          pagesToRescan(database.db, {
            batchId: options.batch === undefined ? undefined : parsePositiveInt(options.batch, '--batch'),
            limit: parsePositiveInt(options.limit, '--limit', 1000),
            access: user.access,
          }),
        ),
      );
      if (options.json) return printJson(pages);
      if (pages.length === 0) return void process.stdout.write('没有待重扫的页\n');
      printPages(pages);
    });

  scan
    .command('policy <全宗号>')
    .description('设置全宗的扫描分辨率要求：--min-dpi（默认 300）与 --low-dpi reject 拒收 / flag 收下并标记')
    .requiredOption('--min-dpi <分辨率>', '最低分辨率')
    .requiredOption('--low-dpi <处理>', 'reject 或 flag')
    .option(...USER_OPTION)
    .action(async (fondsCode: string, options: { minDpi: string; lowDpi: string; user?: string }) => {
      const policy = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'catalog.manage', (user) =>
          setScanPolicy(
            database.db,
            fondsCode,
            {
              minDpi: parsePositiveInt(options.minDpi, '--min-dpi', 100_000),
              lowDpi: options.lowDpi as 'reject' | 'flag',
            },
            user.actor,
          ),
        ),
      );
      process.stdout.write(
        `全宗 ${fondsCode}：最低 ${policy.minDpi} dpi，不足时${policy.lowDpi === 'reject' ? '拒收' : '收下并标记重扫'}\n`,
      );
    });

  const batch = scan.command('batch').description('数字化批次');
  batch
    .command('create <全宗号> <批次名称>')
    .description('新建数字化批次（默认抽检 5%，合格差错率上限 0.5%）')
    .option('--sample-rate <比例>', '抽检比例，如 0.05')
    .option('--max-error-rate <比例>', '合格差错率上限，如 0.005')
    .option(...USER_OPTION)
    .action(
      async (
        fondsCode: string,
        name: string,
        options: { sampleRate?: string; maxErrorRate?: string; user?: string },
      ) => {
        const rate = (value: string | undefined, flag: string) => {
          if (value === undefined) return undefined;
          if (!/^\d+(\.\d+)?$/.test(value.trim()))
            throw invalid('QC_RATE_INVALID', `${flag} 应为 0–1 之间的小数`);
          return Number(value);
        };
        const created = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'file.add', (user) =>
            createBatch(
              database.db,
              {
                fondsCode,
                name,
                sampleRate: rate(options.sampleRate, '--sample-rate'),
                maxErrorRate: rate(options.maxErrorRate, '--max-error-rate'),
              },
              user.actor,
              user.access,
            ),
          ),
        );
        process.stdout.write(`${created.id}\n`);
        process.stderr.write(
          `已建批次“${created.name}”（编号 ${created.id}），抽检 ${created.sampleRate * 100}%，合格差错率上限 ${created.maxErrorRate * 100}%\n`,
        );
      },
    );
  batch
    .command('list')
    .description('列出数字化批次')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (options: { json?: boolean; user?: string }) => {
      const batches = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'file.read', (user) => batchViews(database.db, user.access)),
      );
      if (options.json) return printJson(batches);
      printTable(
        ['编号', '全宗', '名称', '状态', '页数', 'OCR完成', '待重扫'],
        batches.map((row) => [
          row.id,
          row.fondsCode,
          row.name,
          BATCH_STATUS[row.status],
          row.pages,
          row.ocrDone,
          row.flagged,
        ]),
      );
    });
}
