import type { Readable } from 'node:stream';
import { YidangError } from '../../shared/errors.js';
import type { AttachedFile, StorageContext } from '../storage/file.service.js';
import { openFile } from '../storage/file.service.js';
import { markCopy } from './mark-copy.js';
import { newTraceId } from './stamp.js';
import { canWatermark, MAX_WATERMARK_BYTES } from './watermark.js';

// Every copy of an attached file that leaves the system (browser view, download, CLI) goes through
// here: a fresh trace id in the read's log entry, and for PDFs and images a visible watermark saying
// who took the copy, when and why. Other formats (OFD, XML, …) leave unmarked, traced by the log.

export interface Reader {
  username: string;
  displayName: string;
}

export interface DeliveredCopy {
  file: AttachedFile;
  traceId: string;
  watermarked: boolean;
  mediaType: string;
  fileName: string;
  /** A marked copy in memory, or the stored content streamed (digest-checked) when unmarked. */
  body: Buffer | Readable;
}

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new YidangError(
        'WATERMARK_TOO_LARGE',
        'too_large',
        `文件超过加盖水印的上限 ${limit / 1048576} MB，为防止无水印副本外流，本次不予导出。`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function deliverFile(
  context: StorageContext,
  archiveCode: string,
  fileNumber: number,
  reader: Reader,
  options: { purpose?: string; now?: Date; loan?: string } = {},
): Promise<DeliveredCopy> {
  const traceId = newTraceId();
  const purpose = options.purpose?.trim() || undefined;
  const { file, stream, grant, logRead } = await openFile(context, archiveCode, fileNumber, reader.username, {
    traceId,
    purpose,
    deferLog: true,
    ...(options.loan ? { loan: options.loan } : {}),
  });
  if (!canWatermark(file.mediaType)) {
    await logRead();
    return {
      file,
      traceId,
      watermarked: false,
      mediaType: file.mediaType,
      fileName: file.fileName,
      body: stream,
    };
  }
  const content = await readAll(stream, MAX_WATERMARK_BYTES);
  const marked = await markCopy(content, file.mediaType, file.fileName, {
    username: reader.username,
    displayName: reader.displayName,
    at: options.now ?? new Date(),
    purpose: purpose ?? grant?.purpose ?? null,
    traceId,
  });
  // Logged only now: a copy that could not be marked never left, so it is not a read.
  await logRead();
  return {
    file,
    traceId,
    watermarked: true,
    mediaType: marked.mediaType,
    fileName: marked.fileName,
    body: marked.data,
  };
}
