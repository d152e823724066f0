import { move, transferableSymbol, valueSymbol } from 'piscina';
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
    // Bytes the task made (the result, or a field of it) are handed over, not copied.
    const owned = ownBuffers(value);
    return owned.length > 0 ? move({ [transferableSymbol]: owned, [valueSymbol]: value } as never) : value;
  } catch (error) {
    if (!isYidangError(error)) throw error;
    const refused: RefusedReply = {
      yidangRefused: { code: error.code, kind: error.kind, message: error.message, issues: error.issues },
    };
    return refused;
  }
}

/** Buffers of the result that nothing else holds a view of (a view of a shared pool buffer is copied). */
function ownBuffers(value: unknown): ArrayBuffer[] {
  const whole = (bytes: unknown): bytes is Uint8Array<ArrayBuffer> =>
    bytes instanceof Uint8Array &&
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
  if (whole(value)) return [value.buffer];
  if (typeof value !== 'object' || value === null) return [];
  const buffers = Object.values(value)
    .filter(whole)
    .map((bytes) => bytes.buffer);
  return [...new Set(buffers)];
}
