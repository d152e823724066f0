import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { OcrSettings } from '../../config/config.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid } from '../../shared/errors.js';
import type { ItemScope } from '../access/principal.js';
import { getItem } from '../catalog/item.service.js';
import { writePageTexts } from '../search/page-text.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openForProcessing } from '../storage/file.service.js';
import { pageImage, recognise } from './ocr.engine.js';
import {
  type ClaimedPage,
  claimPage,
  failPage,
  finishPage,
  leaseHolders,
  type OcrCounts,
  ocrCounts,
  releaseLeases,
  requeuePages,
} from './ocr.repo.js';
import { batchFor } from './qc.service.js';
import type { PageFlag } from './scan.tables.js';

// The OCR queue's worker: claims one page at a time from the database, recognises it with
// Tesseract and stores its text (which the search indexer then picks up), confidence and flags in
// one transaction. A failure is retried with a growing wait; a crash leaves a lease that runs out.

export const OCR_ACTOR = 'system:ocr';
export const MAX_OCR_ATTEMPTS = 3;
/**
 * Longer than a page may take (pdftoppm's 5 and Tesseract's 10 minute limits, and decrypting the
 * scan): a page still leased after this was abandoned. A late write by the abandoned attempt changes
 * nothing, as writes are fenced by worker and attempt.
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

  constructor(private readonly dir: string) {}

  async fileFor(context: OcrContext, page: ClaimedPage): Promise<string> {
    if (this.current?.digest === page.digest) return this.current.file;
    if (this.current) await fs.rm(this.current.file, { force: true });
    this.current = undefined;
    const file = path.join(this.dir, 'source');
    const { stream } = await openForProcessing(context, page.itemId, page.fileNumber, OCR_ACTOR);
    await pipeline(stream, createWriteStream(file, { mode: 0o600 }));
    this.current = { digest: page.digest, file };
    return file;
  }

  /** Decrypted content does not linger while the queue is idle. */
  async clear(): Promise<void> {
    if (this.current) await fs.rm(this.current.file, { force: true });
    this.current = undefined;
  }
}

/** `lost`: the page's lease ran out mid-read and another worker took it; nothing was written. */
export type PageOutcome = 'done' | 'retry' | 'failed' | 'lost' | 'empty';

class LostClaim extends Error {}

async function withWorkDir<T>(work: (dir: string, cache: ScanFileCache) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-ocr-'));
  await fs.chmod(dir, 0o700);
  try {
    return await work(dir, new ScanFileCache(dir));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const HOST = os.hostname();
/** This process, as named on the leases it holds. */
const WORKER = `${HOST}:${process.pid}`;

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Returns to the queue the pages held by OCR workers on this host that are no longer running (a
 * killed `yidang ocr run`, a crashed server), instead of leaving them until their leases run out.
 */
export async function releaseDeadWorkers(db: Db): Promise<number> {
  let released = 0;
  for (const worker of await leaseHolders(db, `${HOST}:`)) {
    const pid = Number(worker.slice(HOST.length + 1));
    if (worker !== WORKER && Number.isInteger(pid) && pid > 0 && !processAlive(pid))
      released += await releaseLeases(db, worker);
  }
  return released;
}

/** Claims and reads the next page in the queue. */
async function processNextPage(context: OcrContext, dir: string, cache: ScanFileCache): Promise<PageOutcome> {
  const page = await claimPage(context.db, LEASE_SECONDS, WORKER);
  if (!page) return 'empty';
  if (page.attempts > MAX_OCR_ATTEMPTS) {
    const failed = await failPage(
      context.db,
      page,
      `识别 ${MAX_OCR_ATTEMPTS} 次均未完成（进程中断或超时）`,
      null,
    );
    return failed ? 'failed' : 'lost';
  }
  const started = process.hrtime.bigint();
  let image: string | undefined;
  try {
    const source = await cache.fileFor(context, page);
    const dpi = page.dpi ?? DEFAULT_DPI;
    image = await pageImage(source, page.format, page.pageInFile, dpi, dir);
    const result = await recognise(image, dpi, context.settings);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const flags: PageFlag[] = page.flags.filter((flag) => flag === 'low_resolution');
    if (result.characters === 0) flags.push('no_text');
    else if ((result.confidence ?? 0) < context.settings.minConfidence) flags.push('low_confidence');
    await inTransaction(context.db, async (trx) => {
      if (!(await finishPage(trx, page, { ...result, seconds, flags }))) throw new LostClaim();
      await writePageTexts(
        trx,
        { id: page.itemId, archiveCode: page.archiveCode },
        [{ page: page.page, text: result.text, confidence: result.confidence }],
        OCR_ACTOR,
        'ocr',
      );
    });
    return 'done';
  } catch (error) {
    if (error instanceof LostClaim) return 'lost';
    const message = (error as Error).message.split('\n')[0] ?? '未知错误';
    const retry = page.attempts < MAX_OCR_ATTEMPTS ? 30 * 2 ** (page.attempts - 1) : null;
    if (!(await failPage(context.db, page, message, retry))) return 'lost';
    return retry === null ? 'failed' : 'retry';
  } finally {
    if (image) await fs.rm(image, { force: true });
  }
}

export interface OcrWorker {
  stop(): Promise<void>;
}

/**
 * The server's background OCR: `concurrency` loops, each reading one page at a time and sleeping
 * `idleMs` when the queue is empty.
 */
export function startOcrWorker(
  context: OcrContext,
  options: { concurrency?: number; idleMs?: number; onError?: (error: Error) => void } = {},
): OcrWorker {
  let stopping = false;
  let wake: (() => void) | undefined;
  const idleMs = options.idleMs ?? 2000;
  const loop = () =>
    withWorkDir(async (dir, cache) => {
      while (!stopping) {
        let outcome: PageOutcome;
        try {
          outcome = await processNextPage(context, dir, cache);
        } catch (error) {
          options.onError?.(error as Error);
          outcome = 'empty';
        }
        if (outcome === 'empty' && !stopping) {
          // Idle: drop the decrypted scan, and give back pages of workers on this host that died since.
          await cache.clear();
          await releaseDeadWorkers(context.db).catch((error: Error) => options.onError?.(error));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, idleMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    });
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, async () => {
    await releaseDeadWorkers(context.db).catch((error: Error) => options.onError?.(error));
    await loop();
  });
  return {
    async stop() {
      stopping = true;
      wake?.();
      await Promise.allSettled(loops);
    },
  };
}

/** Works the queue until no page is ready (for `yidang ocr run` and benchmarks). */
export async function drainOcrQueue(
  context: OcrContext,
  options: { concurrency?: number; onPage?: (outcome: PageOutcome) => void } = {},
): Promise<Record<Exclude<PageOutcome, 'empty' | 'lost'>, number>> {
  const totals = { done: 0, retry: 0, failed: 0 };
  await releaseDeadWorkers(context.db);
  const loop = () =>
    withWorkDir(async (dir, cache) => {
      for (;;) {
        const outcome = await processNextPage(context, dir, cache);
        if (outcome === 'empty') return;
        if (outcome !== 'lost') totals[outcome]++;
        options.onPage?.(outcome);
      }
    });
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, loop));
  return totals;
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

/** Queues pages again: failed ones, or every page of one item (after a better engine or a fix). */
export async function retryOcr(
  db: Db,
  target: { archiveCode?: string; batchId?: number },
  scope?: ItemScope,
): Promise<number> {
  if (target.archiveCode !== undefined) {
    const item = await getItem(db, target.archiveCode, scope);
    return requeuePages(db, { itemId: item.id, onlyFailed: false });
  }
  if (target.batchId !== undefined) await batchFor(db, target.batchId, scope);
  else if (
    scope &&
    !scope.rows.some((row) => row.fondsCode === null && row.regionPrefix === null && row.categoryIds === null)
  )
    throw invalid('OCR_RETRY_TARGET_REQUIRED', '请指定要重新识别的档号或数字化批次');
  return requeuePages(db, { batchId: target.batchId, onlyFailed: true });
}

/** Progress of the whole queue, or of one batch the user's scope reaches. */
export async function scopedOcrProgress(db: Db, batchId: number | undefined, scope?: ItemScope) {
  if (batchId !== undefined) await batchFor(db, batchId, scope);
  return ocrProgress(db, batchId);
}
