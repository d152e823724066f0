import type { Stamp } from './stamp.js';
import { type MarkedCopy, watermark } from './watermark.js';

// The pool thread's side of marking a copy (mark-copy.ts is the server thread's).

export interface MarkInput {
  content: Uint8Array;
  mediaType: string;
  fileName: string;
  stamp: Stamp;
}

export function markOnThread(input: MarkInput): Promise<MarkedCopy> {
  const { content } = input;
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return watermark(bytes, input.mediaType, input.fileName, input.stamp);
}
