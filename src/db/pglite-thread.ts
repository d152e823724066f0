import type { ResourceLimits, Worker } from 'node:worker_threads';
import { YidangError } from '../shared/errors.js';
import { startWorkerBeside } from '../shared/worker-thread.js';
import type { EngineInput, EngineReply, EngineRequest, ErrorFields } from './pglite.worker.js';
import type { Session } from './pglite-pool.js';
import type { EmbeddedEngine } from './pglite-types.js';

// PGlite on its own worker thread (pglite.worker.ts): the server thread keeps HTTP, JSON and the rest,
// the worker runs the engine's WebAssembly, so the two use both cores. Statements and rows cross by
// structured clone; an error comes back with its PostgreSQL fields (code, detail, constraint, …).
// Callers do not wait for each other here: the worker queues their statements and gives a session
// with an open transaction the engine alone (see there), which is the pool of one's guarantee.
//
// A worker that dies (out of memory, a crash in the engine) fails what was asked of it with
// DATABASE_ENGINE_FAILED, and so does every later statement of a session that used it: a transaction
// must not go on, half of it on a new engine. The next caller gets a new worker on the same data
// directory (the process still holds its lock; PostgreSQL recovers from its WAL as after a kill -9).

export interface ThreadOptions {
  /** The data directory on disk (its lock is held by the caller). */
  dataDir?: string;
  /** A dumped data directory to start an in-memory engine from. */
  loadDataDir?: Blob;
  /** The worker's heap limits (tests make them small to see a worker run out of memory). */
  resourceLimits?: ResourceLimits;
}

interface Running {
  worker: Worker;
  pending: Map<number, { resolve: (reply: EngineReply) => void; reject: (error: Error) => void }>;
  exited: Promise<void>;
  failure?: YidangError;
}

function newWorker(workerData: EngineInput, resourceLimits?: ResourceLimits): Worker {
  return startWorkerBeside(import.meta.url, 'pglite.worker', { workerData, resourceLimits });
}

function engineFailed(cause: string): YidangError {
  return new YidangError(
    'DATABASE_ENGINE_FAILED',
    'busy',
    `嵌入式数据库线程意外退出（${cause}），本次操作未完成，请重试；已提交的数据不受影响`,
  );
}

function describeExit(error: Error | undefined, exitCode: number): string {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return '内存不足';
  if (error) return `出错：${error.message}`;
  return `退出码 ${exitCode}`;
}

/** An error from the engine, rebuilt on this thread with the fields the code compares (code, …). */
function rebuild(fields: ErrorFields): Error {
  const error = new Error(String(fields.message ?? ''));
  Object.assign(error, fields);
  return error;
}

const closedError = () => new Error('嵌入式数据库已关闭');

/** The reply, or the engine's error it carries thrown. */
function answered(reply: EngineReply): EngineReply {
  if (reply.type === 'error') throw rebuild(reply.error);
  return reply;
}

function rowsOf(reply: EngineReply): { rows: unknown[]; affectedRows?: number } {
  const rows = answered(reply);
  if (rows.type !== 'rows') throw new Error(`嵌入式数据库线程的应答无效：${rows.type}`);
  return { rows: rows.rows, affectedRows: rows.affectedRows };
}

export class PGliteThread implements EmbeddedEngine {
  private running: Running | undefined;
  private starting: Promise<Running> | undefined;
  /** Workers lost so far: a session started before a loss must not continue after it. */
  private losses = 0;
  private lastFailure: YidangError | undefined;
  private lastId = 0;
  private lastSession = 0;
  private isClosed = false;

  private constructor(private readonly options: ThreadOptions) {}

  /** Starts the worker and opens the engine on it; rejects if the engine cannot be opened. */
  static async start(options: ThreadOptions): Promise<PGliteThread> {
    const thread = new PGliteThread(options);
    const loadDataDir = options.loadDataDir
      ? new Uint8Array(await options.loadDataDir.arrayBuffer())
      : undefined;
    thread.running = await thread.spawn({ dataDir: options.dataDir, loadDataDir });
    return thread;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * One pool connection's statements, all on one worker (failing once that worker is lost). The
   * worker keeps sessions apart: one with an open transaction has the engine to itself until it
   * ends, or until release() (which rolls back what it left open).
   */
  session(): Session {
    const losses = this.losses;
    const session = ++this.lastSession;
    let holds = false;
    return {
      query: async (sql, parameters) => {
        if (this.losses !== losses) throw this.lastFailure ?? engineFailed('未知原因');
        const reply = await this.call({ id: 0, session, op: 'query', sql, parameters });
        if (reply.type === 'rows' || reply.type === 'error') holds = reply.inTransaction;
        return rowsOf(reply);
      },
      release: () => {
        if (!holds || this.losses !== losses || this.isClosed) return;
        holds = false;
        this.call({ id: 0, session, op: 'release' }).catch(() => {});
      },
    };
  }

  async query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }> {
    return rowsOf(await this.call({ id: 0, session: 0, op: 'query', sql, parameters }));
  }

  async exec(sql: string): Promise<void> {
    answered(await this.call({ id: 0, session: 0, op: 'exec', sql }));
  }

  async dumpDataDir(compression?: 'none' | 'gzip' | 'auto'): Promise<Blob> {
    const reply = answered(await this.call({ id: 0, session: 0, op: 'dump', compression }));
    if (reply.type !== 'dump') throw new Error(`嵌入式数据库线程的应答无效：${reply.type}`);
    return new Blob([reply.bytes]);
  }

  /** Closes the engine in its worker (flushing the data directory) and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    const running = await this.starting?.catch(() => undefined);
    const current = running ?? this.running;
    this.isClosed = true;
    if (!current || current.failure) return;
    // Referenced until it has exited: the process must not end before the data directory is closed.
    current.worker.ref();
    try {
      answered(await this.send(current, { id: 0, session: 0, op: 'close' }));
      await current.exited;
    } finally {
      await current.worker.terminate();
    }
  }

  private async call(request: EngineRequest): Promise<EngineReply> {
    if (this.isClosed) throw closedError();
    return this.send(await this.current(), request);
  }

  private send(running: Running, request: EngineRequest): Promise<EngineReply> {
    if (running.failure) return Promise.reject(running.failure);
    return new Promise((resolve, reject) => {
      const id = ++this.lastId;
      request.id = id;
      try {
        running.worker.postMessage(request);
      } catch (error) {
        // A parameter that cannot be cloned (a function, a class with private state).
        reject(error as Error);
        return;
      }
      if (running.pending.size === 0) running.worker.ref();
      running.pending.set(id, { resolve, reject });
    });
  }

  /** The live worker; a lost one is replaced for a data directory (memory would start empty). */
  private async current(): Promise<Running> {
    if (this.running && !this.running.failure) return this.running;
    if (this.starting) return this.starting;
    const failure = this.running?.failure ?? engineFailed('未知原因');
    if (!this.options.dataDir) throw failure;
    this.starting = this.spawn({ dataDir: this.options.dataDir });
    try {
      this.running = await this.starting;
      process.stderr.write('嵌入式数据库线程已重新启动\n');
      return this.running;
    } finally {
      this.starting = undefined;
    }
  }

  private spawn(input: EngineInput): Promise<Running> {
    return new Promise((resolve, reject) => {
      const worker = newWorker(input, this.options.resourceLimits);
      let lastError: Error | undefined;
      let ready = false;
      const running: Running = {
        worker,
        pending: new Map(),
        exited: new Promise((done) => worker.once('exit', () => done())),
      };
      worker.on('error', (error) => {
        lastError = error;
      });
      worker.on('message', (reply: EngineReply) => {
        if (reply.type === 'ready') {
          ready = true;
          // Idle, the worker does not keep the process alive; send() refs it while a reply is due.
          worker.unref();
          resolve(running);
          return;
        }
        if (reply.type === 'open-failed') {
          reject(new Error(reply.message));
          void worker.terminate();
          return;
        }
        const waiting = running.pending.get(reply.id);
        if (!waiting) return;
        running.pending.delete(reply.id);
        if (running.pending.size === 0 && !this.isClosed) worker.unref();
        waiting.resolve(reply);
      });
      worker.once('exit', (exitCode) => {
        const failure = engineFailed(describeExit(lastError, exitCode));
        if (!ready) {
          reject(lastError ?? failure);
          return;
        }
        if (this.isClosed && running.pending.size === 0) return;
        running.failure = failure;
        this.lastFailure = failure;
        this.losses++;
        for (const waiting of running.pending.values()) waiting.reject(failure);
        running.pending.clear();
      });
    });
  }
}
