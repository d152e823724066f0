import { parentPort, workerData } from 'node:worker_threads';
import type { ErrorCode } from '../error-codes.js';
import { isYidangError } from '../errors.js';
import { newStats, type SpreadsheetLimits } from './limits.js';
import { readRows } from './read.js';

// The thread a large spreadsheet is read on (started by spreadsheet.ts). Rows go back in batches, the
// next one only when the server thread asks for it, so taking them in never holds that thread long.

export interface WorkerInput {
  content: Uint8Array;
  limits: SpreadsheetLimits;
}

// Rows as JSON: one string crosses between threads faster than many small objects.
export type WorkerMessage =
  | { type: 'rows'; json: string }
  | { type: 'done'; format: 'csv' | 'xlsx'; source: string; firstLine: number; stats: object }
  | { type: 'refused'; code: ErrorCode; kind: string; message: string; stats: object }
  | { type: 'failed'; message: string; stats: object };

// Cells a batch holds: taking one in (parsing its JSON, keeping its rows) costs the server thread a few
// milliseconds.
const BATCH_CELLS = 20_000;

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const input = workerData as WorkerInput;
  const stats = newStats();
  const post = (message: WorkerMessage) => port.postMessage(message);
  try {
    const content = Buffer.from(input.content.buffer, input.content.byteOffset, input.content.byteLength);
    const data = await readRows(content, input.limits, stats);
    let at = 0;
    const next = () => {
      if (at < data.rows.length) {
        const from = at;
        let cells = 0;
        while (at < data.rows.length && cells < BATCH_CELLS)
          cells += (data.rows[at++]?.cells.length ?? 0) + 1;
        post({ type: 'rows', json: JSON.stringify(data.rows.slice(from, at)) });
      } else {
        post({ type: 'done', format: data.format, source: data.source, firstLine: data.firstLine, stats });
        port.close();
      }
    };
    port.on('message', next);
    next();
  } catch (error) {
    if (isYidangError(error))
      post({ type: 'refused', code: error.code, kind: error.kind, message: error.message, stats });
    else post({ type: 'failed', message: (error as Error)?.message ?? String(error), stats });
    port.close();
  }
}

void run();
