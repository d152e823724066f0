import { threadId } from 'node:worker_threads';
import { YidangError } from '../../src/shared/errors.js';

// Tasks the CPU pool's tests run on its threads: busy work, a refusal, a crash and a runaway heap.

/** Keeps the thread busy for `ms` milliseconds without yielding, as a render or a hash does. */
export function spin(input: { ms: number }): { thread: number } {
  const until = performance.now() + input.ms;
  let n = 0;
  while (performance.now() < until) n++;
  return { thread: n >= 0 ? threadId : -1 };
}

export function refuse(input: { message: string }): never {
  throw new YidangError('FILE_UNDECODABLE', 'invalid', input.message);
}

export function fail(): never {
  throw new TypeError('a defect in the task');
}

/** Ends its thread as a native crash or an abort in a library would. */
export function crash(): void {
  process.exit(3);
}

/** Grows the heap until the thread's limit ends it. */
export function exhaust(): number {
  const kept: string[][] = [];
  for (;;) kept.push(Array.from({ length: 100_000 }, (_, i) => `${i}-${kept.length}`));
}

export function double(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length * 2);
  out.set(input, 0);
  out.set(input, input.length);
  return out;
}
