import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_PARSERS } from './pglite-types.js';

// The thread the embedded engine runs on (started by pglite-thread.ts): PGlite's WebAssembly runs
// here, so the server thread only posts statements and takes rows back. Requests are answered in the
// order they came; the server thread's pool sends one caller's statements at a time.

export interface EngineInput {
  /** The data directory on disk; the server process holds its lock. */
  dataDir?: string;
  /** A dumped data directory to start an in-memory engine from. */
  loadDataDir?: Uint8Array;
}

export type EngineRequest =
  | { id: number; op: 'query'; sql: string; parameters?: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'dump'; compression?: 'none' | 'gzip' | 'auto' }
  | { id: number; op: 'close' };

/** A PostgreSQL error's fields (code, detail, constraint, …), to be rebuilt on the server thread. */
export type ErrorFields = Record<string, string | number>;

export type EngineReply =
  | { type: 'ready' }
  | { type: 'open-failed'; message: string }
  | { type: 'rows'; id: number; rows: unknown[]; affectedRows?: number }
  | { type: 'done'; id: number }
  | { type: 'dump'; id: number; bytes: Uint8Array }
  | { type: 'error'; id: number; error: ErrorFields };

/** Every string or number field of an error: DatabaseError's are own properties, message is not. */
function fieldsOf(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: ErrorFields = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error))
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  return fields;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const input = workerData as EngineInput;
  const post = (reply: EngineReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      dataDir: input.dataDir,
      loadDataDir: input.loadDataDir ? new Blob([input.loadDataDir]) : undefined,
      parsers: PGLITE_PARSERS,
    });
  } catch (error) {
    post({ type: 'open-failed', message: (error as Error).message ?? String(error) });
    return;
  }

  const handle = async (request: EngineRequest): Promise<void> => {
    try {
      if (request.op === 'query') {
        const result = await pglite.query(request.sql, request.parameters);
        post({ type: 'rows', id: request.id, rows: result.rows, affectedRows: result.affectedRows });
      } else if (request.op === 'exec') {
        await pglite.exec(request.sql);
        post({ type: 'done', id: request.id });
      } else if (request.op === 'dump') {
        const tarball = await pglite.dumpDataDir(request.compression);
        const bytes = new Uint8Array(await tarball.arrayBuffer());
        post({ type: 'dump', id: request.id, bytes }, [bytes.buffer as ArrayBuffer]);
      } else {
        // Flushes and closes the data directory; the server thread releases the lock after this.
        if (!pglite.closed) await pglite.close();
        post({ type: 'done', id: request.id });
        port.close();
      }
    } catch (error) {
      post({ type: 'error', id: request.id, error: fieldsOf(error) });
    }
  };
  // One request at a time, in order: a close waits for what was asked before it.
  let queue = Promise.resolve();
  port.on('message', (request: EngineRequest) => {
    queue = queue.then(() => handle(request));
  });
  post({ type: 'ready' });
}

void main();
