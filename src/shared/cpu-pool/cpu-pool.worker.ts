import { move } from 'piscina';
import { isYidangError } from '../errors.js';
import type { RefusedReply, TaskRequest } from './task.js';

// What each pool thread runs: the named export of the named module, called with the task's input. A
// YidangError (bad input: a PDF that cannot be parsed, a page out of bounds) comes back as its code,
// kind and message, since an error crossing threads keeps only its message.

export default async function run(request: TaskRequest): Promise<unknown> {
  const loaded = (await import(request.module)) as Record<string, unknown>;
  const handler = loaded[request.name];
  if (typeof handler !== 'function') throw new Error(`no task ${request.name} in ${request.module}`);
  try {
    const value: unknown = await handler(request.input);
    // Bytes the task made are handed over, not copied; a view of a shared pool buffer is copied.
    if (value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength)
      return move(value);
    return value;
  } catch (error) {
    if (!isYidangError(error)) throw error;
    const refused: RefusedReply = {
      yidangRefused: { code: error.code, kind: error.kind, message: error.message, issues: error.issues },
    };
    return refused;
  }
}
