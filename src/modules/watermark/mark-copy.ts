import { cpuTask, runCpuTask } from '../../shared/cpu-pool/cpu-pool.js';
import type { Stamp } from './stamp.js';
import { type MarkedCopy, watermark } from './watermark.js';
import type { MarkInput } from './watermark.task.js';

// Where a copy is marked. PDFs (and TIFFs, delivered as PDFs) are parsed, overlaid and saved by
// pdf-lib, in JavaScript: measured, a 20-page PDF held the server thread 0.7–1.2 s, so they are marked
// on a CPU pool thread. JPEG, PNG and WebP are marked by sharp, whose work already runs off the
// server thread (longest stall ~20 ms for a 300 dpi A4 scan), so they stay here.

const markTask = cpuTask<MarkInput, MarkedCopy>(import.meta.url, './watermark.task', 'markOnThread', {
  label: '加盖水印',
});

const parsedInJavaScript = (mediaType: string) =>
  mediaType === 'application/pdf' || mediaType === 'image/tiff';

/**
 * watermark(), on a pool thread where that keeps the server thread free; the same copy either way.
 * The content is handed to the thread: the caller must not use it afterwards.
 */
export async function markCopy(
  content: Buffer,
  mediaType: string,
  fileName: string,
  stamp: Stamp,
): Promise<MarkedCopy> {
  if (!parsedInJavaScript(mediaType)) return watermark(content, mediaType, fileName, stamp);
  // A view of a larger buffer (which others may hold) is copied rather than handed over.
  const own =
    content.byteOffset === 0 && content.byteLength === content.buffer.byteLength
      ? new Uint8Array(content.buffer, 0, content.byteLength)
      : new Uint8Array(content);
  const marked = await runCpuTask(
    markTask,
    { content: own, mediaType, fileName, stamp },
    { transferList: [own.buffer as ArrayBuffer] },
  );
  const { data } = marked;
  return { ...marked, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}
