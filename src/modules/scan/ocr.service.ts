import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { OcrSettings } from '../../config/config.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, scopeIn, systemContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { getItem } from '../catalog/item.service.js';
import { type JobContext, type JobDefinition, JobRuntime } from '../jobs/job.runtime.js';
import { writePageTexts } from '../search/page-text.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openForProcessing } from '../storage/file.service.js';
import { pageImage, recognise } from './ocr.engine.js';
import { enqueueOcrPages, moreOcrOfItem, OCR_PAGE, type OcrPageJob } from './ocr.jobs.js';
import {
  failPage,
  finishPage,
  type OcrCounts,
  ocrCounts,
  type PageToRead,
  pageToRead,
  requeuePages,
  startPage,
} from './ocr.repo.js';
import { batchFor } from './qc.service.js';
import type { PageFlag } from './scan.tables.js';

// OCR of scanned pages as jobs of the job runtime (kind ocr.page): each job reads one page with
// Tesseract and stores its text (which the search indexer then picks up), confidence and flags in
// one transaction, fenced by the job's claim. A failure is retried with a growing wait (30 s, 60 s);
// a crash leaves a lease that runs out, or that the next start on this host gives back at once.

export { MAX_OCR_ATTEMPTS } from './ocr.jobs.js';
export const OCR_ACTOR = 'system:ocr';
/**
 * Longer than a page may take (pdftoppm's 5 and Tesseract's 10 minute limits, and decrypting the
 * scan): a page still leased after this was abandoned.
 */
const LEASE_SECONDS = 1200;
/** Pages rendered from a PDF without an image of their own are read at this resolution. */
const DEFAULT_DPI = 300;

export interface OcrContext {
  db: Db;
  store: BlobStore;
  settings: OcrSettings;
}

/** One worker's decrypted copy of the file it is reading, so a 200-page TIFF is decrypted once. */
class ScanFileCache {
  private current: { digest: string; file: string } | undefined;
  private dir: string | undefined;

  async workDir(): Promise<string> {
    if (!this.dir) {
      this.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-ocr-'));
      await fs.chmod(this.dir, 0o700);
    }
    return this.dir;
  }

  async fileFor(context: OcrContext, page: PageToRead): Promise<string> {
    if (this.current?.digest === page.digest) return this.current.file;
    if (this.current) await fs.rm(this.current.file, { force: true });
    this.current = undefined;
    const file = path.join(await this.workDir(), 'source');
    const { stream } = await openForProcessing(
      { ...context, access: systemContext('jobs', OCR_ACTOR) },
      page.itemId,
      page.fileNumber,
      OCR_ACTOR,
    );
    await pipeline(stream, createWriteStream(file, { mode: 0o600 }));
    this.current = { digest: page.digest, file };
    return file;
  }

  /** Decrypted content does not linger while no page of its item waits. */
  async clear(): Promise<void> {
    const dir = this.dir;
    this.current = undefined;
    this.dir = undefined;
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Reads one page for its job. */
async function readPage(context: OcrContext, cache: ScanFileCache, job: JobContext, target: OcrPageJob) {
  const page = await pageToRead(context.db, target.itemId, target.page);
  if (!page) return; // the page is gone (its item's scans were replaced): nothing to read
  await startPage(context.db, page.itemId, page.page, job.job.worker ?? '', job.job.attempts);
  const started = process.hrtime.bigint();
  let image: string | undefined;
  try {
    const source = await cache.fileFor(context, page);
    const dpi = page.dpi ?? DEFAULT_DPI;
    image = await pageImage(source, page.format, page.pageInFile, dpi, await cache.workDir());
    const result = await recognise(image, dpi, context.settings);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const flags: PageFlag[] = page.flags.filter((flag) => flag === 'low_resolution');
    if (result.characters === 0) flags.push('no_text');
    else if ((result.confidence ?? 0) < context.settings.minConfidence) flags.push('low_confidence');
    await inTransaction(context.db, async (trx) => {
      await job.holds(trx);
      await finishPage(trx, page.itemId, page.page, { ...result, seconds, flags });
      await writePageTexts(
        trx,
        systemContext('jobs', OCR_ACTOR),
        { id: page.itemId, archiveCode: page.archiveCode },
        [{ page: page.page, text: result.text, confidence: result.confidence }],
        OCR_ACTOR,
        'ocr',
      );
    });
  } catch (error) {
    // Shown on the page while the job waits for its next attempt (the last one fails it: onDead).
    if (!job.lastAttempt) {
      const message = (error as Error).message.split('\n')[0] ?? '未知错误';
      await inTransaction(context.db, async (trx) => {
        await job.holds(trx);
        await failPage(trx, page.itemId, page.page, message, false);
      }).catch(() => {});
    }
    throw error;
  } finally {
    if (image) await fs.rm(image, { force: true });
  }
}

/**
 * The ocr.page job: up to `concurrency` pages at once per server, each worker slot with its own
 * decrypted copy of the scan it reads.
 */
export function ocrPageJob(
  context: OcrContext,
  concurrency = context.settings.concurrency,
): JobDefinition<OcrPageJob> {
  const idle: ScanFileCache[] = [];
  return {
    kind: OCR_PAGE,
    concurrency,
    leaseSeconds: LEASE_SECONDS,
    backoffSeconds: (failures) => 30 * 2 ** (failures - 1),
    run: async (target, job) => {
      const cache = idle.pop() ?? new ScanFileCache();
      try {
        await readPage(context, cache, job, target);
      } finally {
        if (!(await moreOcrOfItem(context.db, target.itemId).catch(() => false))) await cache.clear();
        idle.push(cache);
      }
    },
    onDead: async (trx, target, error) => {
      await failPage(trx, target.itemId, target.page, error, true);
    },
  };
}

/** `lost`: the page's lease ran out mid-read and another worker took it; nothing was written. */
export type PageOutcome = 'done' | 'retry' | 'failed' | 'lost';

/** Works the OCR jobs until no page is due (for `yidang ocr run` and benchmarks). */
export async function drainOcrQueue(
  context: OcrContext,
  options: { concurrency?: number; onPage?: (outcome: PageOutcome) => void; worker?: string } = {},
): Promise<Record<Exclude<PageOutcome, 'lost'>, number>> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const runtime = new JobRuntime(context.db, { worker: options.worker }).register(
    ocrPageJob(context, concurrency),
  );
  const totals = await runtime.drain([OCR_PAGE], {
    concurrency,
    onJob: (_job, outcome) => options.onPage?.(outcome === 'dead' ? 'failed' : outcome),
  });
  return { done: totals.done, retry: totals.retry, failed: totals.dead };
}

export interface OcrProgress extends OcrCounts {
  pages: number;
  /** Share of pages with OCR finished (done or failed for good), 0–1. */
  finished: number;
  pagesPerMinute: number;
  /** Minutes until the queue is empty at the recent rate; null when nothing ran lately. */
  minutesLeft: number | null;
}

export async function ocrProgress(db: Db, batchId?: number): Promise<OcrProgress> {
  const counts = await ocrCounts(db, batchId);
  const { queued, running, done, failed } = counts.byStatus;
  const pages = queued + running + done + failed;
  const pagesPerMinute = Math.round((counts.recentlyDone / 10) * 10) / 10;
  return {
    ...counts,
    pages,
    finished: pages === 0 ? 1 : (done + failed) / pages,
    pagesPerMinute,
    minutesLeft: pagesPerMinute > 0 ? Math.ceil((queued + running) / pagesPerMinute) : null,
  };
}

/** Puts pages back in the queue with their jobs, in one transaction. */
function requeued(db: Db, options: Parameters<typeof requeuePages>[1]): Promise<number> {
  return inTransaction(db, async (trx) => {
    const pages = await requeuePages(trx, options);
    await enqueueOcrPages(trx, pages);
    return pages.length;
  });
}

/** Queues pages again: failed ones, or every page of one item (after a better engine or a fix). */
export async function retryOcr(
  db: Db,
  target: { archiveCode?: string; batchId?: number },
  access: AccessContext,
): Promise<number> {
  if (target.archiveCode !== undefined) {
    const item = await getItem(db, target.archiveCode, access);
    return requeued(db, { itemId: item.id, onlyFailed: false });
  }
  const scope = scopeIn(access);
  if (target.batchId !== undefined) await batchFor(db, target.batchId, access);
  else if (
    scope &&
    !scope.rows.some((row) => row.fondsCode === null && row.regionPrefix === null && row.categoryIds === null)
  )
    throw invalid('OCR_RETRY_TARGET_REQUIRED', '请指定要重新识别的档号或数字化批次');
  return requeued(db, { batchId: target.batchId, onlyFailed: true });
}

/** Progress of the whole queue, or of one batch the user's scope reaches. */
export async function scopedOcrProgress(db: Db, batchId: number | undefined, access: AccessContext) {
  if (batchId !== undefined) await batchFor(db, batchId, access);
  return ocrProgress(db, batchId);
}
