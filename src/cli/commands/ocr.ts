import type { Command } from 'commander';
import { ocrUnavailable } from '../../modules/scan/ocr.engine.js';
import { drainOcrQueue, type OcrProgress, ocrProgress, retryOcr } from '../../modules/scan/ocr.service.js';
import { systemContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import {
  config,
  parsePositiveInt,
  printJson,
  printTable,
  progress,
  withDatabase,
  withSystem,
} from '../context.js';

// yidang ocr: the OCR queue of scanned pages. The server works it in the background; `ocr run`
// works it from the command line until no page is ready (for a night run, or a machine without the
// server). Operator commands: they read no archive content for a person.

function printProgress(report: OcrProgress): void {
  printTable(
    [
      '页数',
      '排队',
      '识别中',
      '完成',
      '失败',
      '置信度低',
      '无文字',
      '平均置信度',
      '每页秒数',
      '近10分钟每分钟页数',
      '预计剩余分钟',
    ],
    [
      [
        report.pages,
        report.byStatus.queued,
        report.byStatus.running,
        report.byStatus.done,
        report.byStatus.failed,
        report.lowConfidence,
        report.noText,
        report.meanConfidence ?? '—',
        report.meanSeconds ?? '—',
        report.pagesPerMinute,
        report.minutesLeft ?? '—',
      ],
    ],
  );
}

export function registerOcrCommands(program: Command): void {
  const ocr = program.command('ocr').description('扫描页的文字识别（OCR）队列');

  ocr
    .command('run')
    .description('识别队列中所有就绪的页，直到队列为空')
    .option('--concurrency <页数>', '同时识别的页数（默认 YIDANG_OCR_CONCURRENCY 或 1）')
    .action(async (options: { concurrency?: string }) => {
      const settings = config().ocr;
      const problem = await ocrUnavailable(settings);
      if (problem) throw invalid('OCR_UNAVAILABLE', problem);
      const concurrency =
        options.concurrency === undefined
          ? Math.max(1, settings.concurrency)
          : parsePositiveInt(options.concurrency, '--concurrency', 64);
      const started = Date.now();
      const totals = await withSystem(async (system) => {
        const before = await ocrProgress(system.database.db);
        const ready = before.byStatus.queued + before.byStatus.running;
        let seen = 0;
        return drainOcrQueue(
          { db: system.database.db, store: system.store, settings },
          { concurrency, onPage: () => progress('识别', ++seen, Math.max(ready, seen)) },
        );
      });
      const minutes = (Date.now() - started) / 60_000;
      process.stdout.write(
        `完成 ${totals.done} 页，待重试 ${totals.retry} 页，失败 ${totals.failed} 页；用时 ${minutes.toFixed(1)} 分钟${
          totals.done > 0 ? `，每分钟 ${(totals.done / minutes).toFixed(1)} 页` : ''
        }\n`,
      );
      if (totals.failed > 0) process.exitCode = 1;
    });

  ocr
    .command('status')
    .description('OCR 进度：排队、完成、失败、待重扫的页数与速度')
    .option('--batch <编号>', '只看该数字化批次')
    .option('--json', '输出 JSON')
    .action(async (options: { batch?: string; json?: boolean }) => {
      const batchId = options.batch === undefined ? undefined : parsePositiveInt(options.batch, '--batch');
      const report = await withDatabase((database) => ocrProgress(database.db, batchId));
      if (options.json) return printJson(report);
      printProgress(report);
      const problem = await ocrUnavailable(config().ocr);
      if (problem) process.stderr.write(`注意：${problem}\n`);
    });

  ocr
    .command('retry')
    .description('重新排队：--item 某件档案的全部页，否则失败的页（可用 --batch 限定批次）')
    .option('--item <档号>', '重新识别这件档案的全部页')
    .option('--batch <编号>', '只重试该批次中失败的页')
    .action(async (options: { item?: string; batch?: string }) => {
      const queued = await withDatabase((database) =>
        retryOcr(
          database.db,
          {
            archiveCode: options.item,
            batchId: options.batch === undefined ? undefined : parsePositiveInt(options.batch, '--batch'),
          },
          // Run by the operator on the server itself, without an account (as before).
          systemContext('setup'),
        ),
      );
      process.stdout.write(`已重新排队 ${queued} 页\n`);
    });
}
