import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { YidangError } from '../errors.js';
import { type CpuTask, isRefused, moduleBeside, type TaskRequest } from './task.js';

// One pool of worker threads for the CPU-heavy work of the server (hashing and encrypting uploads,
// watermarking copies, rendering ledgers), so the thread that answers requests is never held by it.
// Threads run at a lower priority than the server thread, the queue is bounded, each thread's heap
// is capped, a task over its time limit has its thread stopped, and a thread that dies becomes a
// clear error for the tasks it held while the pool starts another.

export { type CpuTask, cpuTask } from './task.js';

export interface CpuPoolSettings {
  /** Threads (YIDANG_CPU_WORKERS): by default one fewer than the cores, at least one. */
  workers: number;
  /** Tasks waiting for a thread (beyond one running on each) past which new ones are refused as busy. */
  queue: number;
  /** Heap of each thread, in MB: a task that needs more ends its thread, not the server. */
  memoryMb: number;
}

/** One fewer than the cores (the server thread keeps one), at least one. */
export const defaultCpuWorkers = (): number => Math.max(1, availableParallelism() - 1);

/** Streams (an upload being hashed and encrypted) one thread serves at once; they wait on I/O. */
const STREAMS_PER_WORKER = 16;
/** Scheduling priority below the server thread's (nice 0), so the server wins a busy core. */
const NICE_INCREMENT = 10;

const DEFAULTS = (): CpuPoolSettings => ({ workers: defaultCpuWorkers(), queue: 256, memoryMb: 2048 });

let settings: CpuPoolSettings = DEFAULTS();
let pool: Piscina | undefined;
// Counted here: piscina bounds only tasks that may share a thread, not those with a time limit.
let inFlight = 0;

/**
 * Sets the pool's size and limits (the server does at start-up from YIDANG_CPU_WORKERS). A pool
 * already running is closed, once its tasks are done, and the next task starts one with these.
 */
export async function configureCpuPool(changes: Partial<CpuPoolSettings>): Promise<void> {
  const next = { ...settings, ...changes };
  if (
    next.workers === settings.workers &&
    next.queue === settings.queue &&
    next.memoryMb === settings.memoryMb
  )
    return;
  settings = next;
  const old = pool;
  pool = undefined;
  await old?.close();
}

export const cpuPoolSettings = (): Readonly<CpuPoolSettings> => settings;

/** Ends the pool's threads (tasks still running are failed); the next task starts a new pool. */
export async function closeCpuPool(): Promise<void> {
  const old = pool;
  pool = undefined;
  await old?.destroy();
}

/** The compiled dispatcher (dist/), or from the sources the development boot that loads it through tsx. */
function workerFile(): string {
  const compiled = moduleBeside(import.meta.url, './cpu-pool.worker');
  return compiled.endsWith('.js') ? compiled : new URL('./cpu-pool.dev.mjs', import.meta.url).href;
}

function thePool(): Piscina {
  if (pool) return pool;
  const created = new Piscina({
    filename: workerFile(),
    minThreads: settings.workers,
    maxThreads: settings.workers,
    idleTimeout: Number.POSITIVE_INFINITY,
    maxQueue: settings.queue,
    concurrentTasksPerWorker: STREAMS_PER_WORKER,
    // Tasks talk over their own ports (streams): a thread must never block waiting for the next task.
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb },
    niceIncrement: NICE_INCREMENT,
  });
  // A thread that dies holding no task is replaced; nothing is owed to anyone, so nothing is thrown.
  created.on('error', () => {});
  pool = created;
  return created;
}

export interface RunOptions {
  /** Buffers handed to the thread rather than copied (the caller must not use them after). */
  transferList?: Transferable[];
}

/** Runs a task on the pool under its time limit; a YidangError thrown there is thrown here. */
export async function runCpuTask<I, O>(task: CpuTask<I, O>, input: I, options: RunOptions = {}): Promise<O> {
  const signal = AbortSignal.timeout(task.timeLimitMs);
  return settle(task, () =>
    thePool().run({ module: task.module, name: task.name, input } satisfies TaskRequest, {
      signal,
      transferList: options.transferList as never,
    }),
  ).then((value) => value as O);
}

/**
 * Runs a task with no time limit that shares its thread with others, such as a stream whose pace is
 * the client's: it must wait on its port between pieces of work, never hold the thread long.
 */
export async function runCpuStream<I, O>(
  task: CpuTask<I, O>,
  input: I,
  options: RunOptions = {},
): Promise<O> {
  return settle(task, () =>
    thePool().run({ module: task.module, name: task.name, input } satisfies TaskRequest, {
      transferList: options.transferList as never,
    }),
  ).then((value) => value as O);
}

/**
 * Starts a streaming task: the task gets `port` in its input and the caller the other end, to send it
 * work piece by piece; `done` settles when the task's function does (or its thread dies).
 */
export function openCpuStream<I extends object, O>(
  task: CpuTask<I & { port: MessagePort }, O>,
  input: I,
): { port: MessagePort; done: Promise<O> } {
  const { port1, port2 } = new MessageChannel();
  const done = runCpuStream(task, { ...input, port: port2 }, { transferList: [port2] });
  return { port: port1, done };
}

async function settle(
  task: Pick<CpuTask<never, unknown>, 'label' | 'timeLimitMs'>,
  start: () => Promise<unknown>,
): Promise<unknown> {
  if (inFlight >= settings.workers + settings.queue) throw poolFailure(task, new Error(QUEUE_FULL));
  let value: unknown;
  inFlight++;
  try {
    value = await start();
  } catch (error) {
    throw poolFailure(task, error);
  } finally {
    inFlight--;
  }
  if (isRefused(value)) {
    const { code, kind, message, issues } = value.yidangRefused;
    throw new YidangError(code, kind, message, issues);
  }
  return value;
}

const QUEUE_FULL = 'Task queue is at limit';

/** What a failure of the pool itself (not of the input) means to the person waiting. */
export function poolFailure(task: Pick<CpuTask<unknown, unknown>, 'label' | 'timeLimitMs'>, error: unknown) {
  const { name, message, code } = error as Error & { code?: string };
  if (name === 'AbortError')
    return new YidangError(
      'CPU_TASK_TIMEOUT',
      'unprocessable',
      `${task.label}超过 ${Math.ceil(task.timeLimitMs / 1000)} 秒仍未完成，已停止；请缩小范围后重试`,
    );
  if (message === QUEUE_FULL)
    return new YidangError('CPU_POOL_BUSY', 'busy', `服务器正忙，${task.label}的排队任务已满，请稍后重试`);
  if (code === 'ERR_WORKER_OUT_OF_MEMORY')
    return new YidangError(
      'CPU_TASK_FAILED',
      'too_large',
      `${task.label}时超过了后台线程的内存上限（${settings.memoryMb} MB），已停止；内容过大，请拆分后重试`,
    );
  // A thread that exited or failed outside the task's own code: the task did not finish.
  if (/worker|thread/i.test(message ?? '') || code?.startsWith('ERR_WORKER'))
    return new YidangError(
      'CPU_TASK_FAILED',
      'busy',
      `${task.label}时后台计算线程意外退出，操作未完成，请重试；反复出现请联系管理员`,
    );
  // The task's own code failed (a defect, not bad input): its message, as an inline run would throw.
  return error instanceof Error ? error : new Error(String(error));
}
