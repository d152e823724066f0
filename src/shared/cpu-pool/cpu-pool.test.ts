import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { isYidangError, type YidangError } from '../errors.js';
import { closeCpuPool, configureCpuPool, cpuTask, runCpuTask } from './cpu-pool.js';

const helpers = new URL('../../../test/helpers/', import.meta.url).href;
const task = <I, O>(name: string, timeLimitMs?: number) =>
  cpuTask<I, O>(helpers, './cpu-tasks', name, { label: '测试任务', timeLimitMs });

const spin = task<{ ms: number }, { thread: number }>('spin');

afterAll(async () => {
  await closeCpuPool();
  await configureCpuPool({ workers: 1, queue: 256, memoryMb: 2048 });
});

/** The longest the event loop went without running a 5 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stall: number }> {
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    return { result, stall: Math.max(stall, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

async function caught(promise: Promise<unknown>): Promise<YidangError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isYidangError(error), String(error)).toBe(true);
  return error as YidangError;
}

describe('CPU pool', () => {
  it('runs a task on another thread while the event loop keeps turning', async () => {
    await configureCpuPool({ workers: 1 });
    await runCpuTask(spin, { ms: 1 }); // the thread starts and loads the task module
    const { result, stall } = await longestStall(() => runCpuTask(spin, { ms: 800 }));
    expect(result.thread).not.toBe(threadId);
    expect(result.thread).toBeGreaterThan(0);
    // The same busy loop on this thread would hold the timer for 800 ms.
    expect(stall).toBeLessThan(300);
  });

  it('gives a YidangError thrown on the thread back as itself, and a defect as an Error', async () => {
    const error = await caught(
      runCpuTask(task<{ message: string }, never>('refuse'), { message: '图像无法解码' }),
    );
    expect(error.code).toBe('FILE_UNDECODABLE');
    expect(error.kind).toBe('invalid');
    expect(error.message).toBe('图像无法解码');
    const defect = await runCpuTask(task<void, never>('fail'), undefined).catch((e: unknown) => e);
    expect(isYidangError(defect)).toBe(false);
    expect((defect as Error).message).toBe('a defect in the task');
  });

  it('turns a thread that dies into a clear error and recovers', async () => {
    const error = await caught(runCpuTask(task<void, void>('crash'), undefined));
    expect(error.code).toBe('CPU_TASK_FAILED');
    expect(error.message).toContain('测试任务时后台计算线程意外退出');
    // The pool starts another thread: the next task runs.
    expect((await runCpuTask(spin, { ms: 1 })).thread).toBeGreaterThan(0);
  });

  it('stops a task over its time limit and recovers', async () => {
    const started = performance.now();
    const error = await caught(runCpuTask(task<{ ms: number }, unknown>('spin', 300), { ms: 20_000 }));
    expect(error.code).toBe('CPU_TASK_TIMEOUT');
    expect(error.message).toBe('测试任务超过 1 秒仍未完成，已停止；请缩小范围后重试');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await runCpuTask(spin, { ms: 1 })).thread).toBeGreaterThan(0);
  });

  it('ends a thread whose heap passes the limit, not the server, and recovers', async () => {
    await configureCpuPool({ memoryMb: 64 });
    const error = await caught(runCpuTask(task<void, number>('exhaust'), undefined));
    expect(error.code).toBe('CPU_TASK_FAILED');
    expect(error.kind).toBe('too_large');
    expect(error.message).toContain('内存上限（64 MB）');
    expect((await runCpuTask(spin, { ms: 1 })).thread).toBeGreaterThan(0);
    await configureCpuPool({ memoryMb: 2048 });
  });

  it('refuses tasks beyond the queue as busy', async () => {
    await configureCpuPool({ workers: 1, queue: 2 });
    const runs = Array.from({ length: 6 }, () =>
      runCpuTask(spin, { ms: 100 }).then(
        () => 'ran',
        (e) => e,
      ),
    );
    const outcomes = await Promise.all(runs);
    const busy = outcomes.filter((o) => isYidangError(o) && o.code === 'CPU_POOL_BUSY');
    // One running, two waiting; the rest refused at once.
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(3);
    expect(busy).toHaveLength(3);
    expect((busy[0] as YidangError).kind).toBe('busy');
    await configureCpuPool({ queue: 256 });
  });

  it('hands bytes made on the thread back without losing any', async () => {
    const input = new Uint8Array([1, 2, 3, 250]);
    const out = await runCpuTask(task<Uint8Array, Uint8Array>('double'), input);
    expect([...out]).toEqual([1, 2, 3, 250, 1, 2, 3, 250]);
  });
});
