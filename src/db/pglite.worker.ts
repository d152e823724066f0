import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_PARSERS } from './pglite-types.js';

// The thread the embedded engine runs on (started by pglite-thread.ts): PGlite's WebAssembly runs
// here, so the server thread only posts statements and takes rows back.
//
// PGlite is one connection, so this thread keeps callers apart: statements run one at a time in the
// order they came, except that a session (one pool connection of the server thread) that has opened
// a transaction has the engine to itself until the transaction ends; the others' statements wait in
// the queue. Statements outside transactions therefore queue up here while the server thread is busy
// elsewhere, and the engine works through them without waiting for it between two.

export interface EngineInput {
  /** The data directory on disk; the server process holds its lock. */
  dataDir?: string;
  /** A dumped data directory to start an in-memory engine from. */
  loadDataDir?: Uint8Array;
}

/** Session 0 is the engine's own API (exec, dump, close, a query outside the pool). */
export type EngineRequest = { id: number; session: number } & (
  | { op: 'query'; sql: string; parameters?: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'dump'; compression?: 'none' | 'gzip' | 'auto' }
  /** The session's pool connection was released: a transaction it left open is rolled back. */
  | { op: 'release' }
  | { op: 'close' }
);

/** A PostgreSQL error's fields (code, detail, constraint, …), to be rebuilt on the server thread. */
export type ErrorFields = Record<string, string | number>;

export type EngineReply =
  | { type: 'ready' }
  | { type: 'open-failed'; message: string }
  /** inTransaction: the session now holds the engine until its transaction ends. */
  | { type: 'rows'; id: number; rows: unknown[]; affectedRows?: number; inTransaction: boolean }
  | { type: 'done'; id: number }
  | { type: 'dump'; id: number; bytes: Uint8Array }
  | { type: 'error'; id: number; error: ErrorFields; inTransaction: boolean };

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

  /** The session whose transaction is open: only its statements run until it ends. */
  let owner: number | undefined;
  const settle = (session: number) => {
    if (pglite.isInTransaction()) owner = session;
    else if (owner === session) owner = undefined;
    return owner === session;
  };

  const handle = async (request: EngineRequest): Promise<void> => {
    try {
      if (request.op === 'query') {
        const result = await pglite.query(request.sql, request.parameters);
        const inTransaction = settle(request.session);
        post({
          type: 'rows',
          id: request.id,
          rows: result.rows,
          affectedRows: result.affectedRows,
          inTransaction,
        });
      } else if (request.op === 'exec') {
        await pglite.exec(request.sql);
        settle(request.session);
        post({ type: 'done', id: request.id });
      } else if (request.op === 'dump') {
        const tarball = await pglite.dumpDataDir(request.compression);
        const bytes = new Uint8Array(await tarball.arrayBuffer());
        post({ type: 'dump', id: request.id, bytes }, [bytes.buffer as ArrayBuffer]);
      } else if (request.op === 'release') {
        if (owner === request.session) {
          if (pglite.isInTransaction()) await pglite.query('rollback');
          owner = undefined;
        }
        post({ type: 'done', id: request.id });
      } else {
        // Flushes and closes the data directory; the server thread releases the lock after this.
        if (!pglite.closed) await pglite.close();
        post({ type: 'done', id: request.id });
        port.close();
      }
    } catch (error) {
      const inTransaction = request.op === 'query' && !pglite.closed && settle(request.session);
      post({ type: 'error', id: request.id, error: fieldsOf(error), inTransaction });
    }
  };

  const queue: EngineRequest[] = [];
  let busy = false;
  /** Runs the next request that may run: the oldest, or the oldest of the session in a transaction. */
  const pump = () => {
    if (busy) return;
    const index = owner === undefined ? 0 : queue.findIndex((request) => request.session === owner);
    if (index < 0 || index >= queue.length) return;
    const [request] = queue.splice(index, 1) as [EngineRequest];
    busy = true;
    void handle(request).finally(() => {
      busy = false;
      pump();
    });
  };
  port.on('message', (request: EngineRequest) => {
    queue.push(request);
    pump();
  });
  post({ type: 'ready' });
}

void main();
