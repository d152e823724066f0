import type { Worker } from 'node:worker_threads';
import { type ErrorKind, YidangError } from '../errors.js';
import { startWorkerBeside } from '../worker-thread.js';
import type { SheetData, TableRow } from './cells.js';
import {
  limitsWith,
  newStats,
  type ReadStats,
  type SpreadsheetLimits,
  tooLarge,
  unreadable,
} from './limits.js';
import { readRows } from './read.js';
import type { WorkerInput, WorkerMessage } from './spreadsheet.worker.js';

// Reads an uploaded CSV or XLSX within bounds (limits.ts). A file of any size worth mentioning is read
// on a worker thread, so the server thread (which also runs PGlite) keeps answering while it is parsed,
// and a file that exhausts the worker's memory ends the worker, not the server.

export type { Cell, SheetData, TableRow } from './cells.js';
export { DEFAULT_LIMITS, type ReadStats, type SpreadsheetLimits } from './limits.js';

/** Below this a file is read in place: starting a thread would cost more than reading it. */
export const WORKER_THRESHOLD = 64 * 1024;
/** Files read at once; more wait their turn, so imports cannot together take all cores and memory. */
const MAX_WORKERS = 2;
const WORKER_MEMORY_MB = 2048;
const WORKER_TIME_LIMIT_MS = 180_000;

export interface ReadOptions {
  limits?: Partial<SpreadsheetLimits>;
  /** auto: a worker thread from WORKER_THRESHOLD bytes; worker or inline to choose. */
  thread?: 'auto' | 'worker' | 'inline';
  /** Filled with what reading cost (also when the file is refused). */
  stats?: ReadStats;
}

export async function readSpreadsheet(content: Buffer, options: ReadOptions = {}): Promise<SheetData> {
  const limits = limitsWith(options.limits);
  const stats = options.stats ?? newStats();
  const thread = options.thread ?? 'auto';
  if (thread === 'inline' || (thread === 'auto' && content.length < WORKER_THRESHOLD))
    return readRows(content, limits, stats);
  await slot();
  try {
    return await readOnWorker(content, limits, stats);
  } finally {
    release();
  }
}

let running = 0;
const waiting: Array<() => void> = [];
const slot = (): Promise<void> => {
  if (running < MAX_WORKERS) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
};
const release = () => {
  const next = waiting.shift();
  if (next) next();
  else running--;
};

function startWorker(workerData: WorkerInput): Worker {
  return startWorkerBeside(import.meta.url, 'spreadsheet.worker', {
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_MEMORY_MB },
  });
}

function readOnWorker(content: Buffer, limits: SpreadsheetLimits, stats: ReadStats): Promise<SheetData> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({ content: new Uint8Array(content), limits });
    const rows: TableRow[] = [];
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(tooLarge(`读取文件超过 ${WORKER_TIME_LIMIT_MS / 1000} 秒，已停止，请拆分后导入`)),
        ),
      WORKER_TIME_LIMIT_MS,
    );
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'rows') {
        for (const row of JSON.parse(message.json) as TableRow[]) rows.push(row);
        // Ask for the next batch only now: one batch per turn of the event loop.
        worker.postMessage('next');
        return;
      }
      Object.assign(stats, message.stats);
      if (message.type === 'done')
        finish(() =>
          resolve({ format: message.format, source: message.source, firstLine: message.firstLine, rows }),
        );
      else if (message.type === 'refused')
        finish(() => reject(new YidangError(message.code, message.kind as ErrorKind, message.message)));
      else finish(() => reject(unreadable('文件无法读取（解析出错）')));
    });
    worker.on('error', (error: Error & { code?: string }) =>
      finish(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? tooLarge('文件内容过多，读取时超过内存上限，请拆分后导入')
            : unreadable('文件无法读取（解析出错）'),
        ),
      ),
    );
    worker.on('exit', () => finish(() => reject(unreadable('文件无法读取（读取中断）'))));
  });
}
