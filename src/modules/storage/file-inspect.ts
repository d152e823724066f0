import type { Readable } from 'node:stream';
import type { PDFDocument } from 'pdf-lib';
import { invalid, YidangError } from '../../shared/errors.js';
import {
  BoundsProblem,
  checkPdfBounds,
  hasGeometry,
  imagePages,
  loadPdfQuietly,
  MAX_BOUNDED_BYTES,
} from './content-bounds.js';
import { isCompoundFile } from './legacy-office.js';
import { detectMediaType, IDENTIFY_BYTES, identifyContent } from './media-type.js';
import { TiffStructureError } from './tiff-structure.js';

// What is learnt about an attached file while it streams into the blob store: its first bytes (for
// its type) and, for PDFs and images small enough to be watermarked, the whole content (for its page
// sizes). One inspection for every attach path, before anything is stored.

export interface Inspection {
  /** The type identified from the content, recorded with the file. */
  mediaType: string;
  /** Said to whoever attached it (name and content disagree, same content twice), not refusals. */
  warnings: string[];
}

/** Collects the first bytes, and the whole content while it may need its page sizes checked. */
export class ContentSample {
  private readonly headChunks: Buffer[] = [];
  private headSize = 0;
  private chunks: Buffer[] | null = [];
  private keep: boolean | undefined;
  size = 0;

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.headSize < IDENTIFY_BYTES) {
      const part = chunk.subarray(0, IDENTIFY_BYTES - this.headSize);
      this.headChunks.push(part);
      this.headSize += part.length;
    }
    if (!this.chunks) return;
    // Kept only for types whose pages are rasterised, and only up to the size the watermark takes;
    // and for compound files, whose directory (Word, Excel or an installer) may lie anywhere.
    if (this.keep === undefined && this.headSize >= 16)
      this.keep = hasGeometry(detectMediaType(this.head, '')) || isCompoundFile(this.head);
    if (this.keep === false || this.size > MAX_BOUNDED_BYTES) this.chunks = null;
    else this.chunks.push(chunk);
  }

  get head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  /** The whole content, when it was kept. */
  get whole(): Buffer | null {
    return this.chunks ? Buffer.concat(this.chunks) : null;
  }

  /** The source passed through unchanged, every chunk seen on the way. */
  async *tap(source: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      this.add(buffer);
      yield buffer;
    }
  }
}

const outOfBounds = (fileName: string, problem: BoundsProblem) =>
  new YidangError(
    'FILE_BOUNDS_EXCEEDED',
    'invalid',
    `“${fileName.slice(0, 80)}”页面尺寸异常（${problem.message}），无法安全显示和加水印，未保存`,
  );

/**
 * Identifies the content and checks its page sizes: a program, a type an archive does not accept, a
 * page out of bounds or a TIFF whose page table loops is refused. A PDF or image that cannot be
 * parsed is kept as it is: the 四性检测 reports the damage, and its copies are refused as unmarkable,
 * never delivered unmarked.
 */
export async function inspectSample(sample: ContentSample, fileName: string): Promise<Inspection> {
  const { mediaType, warnings } = await identifyContent(sample.head, fileName, sample.whole);
  const whole = hasGeometry(mediaType) ? sample.whole : null;
  if (!whole) return { mediaType, warnings };
  let pdf: PDFDocument | undefined;
  try {
    if (mediaType === 'application/pdf') {
      const loaded = await loadPdfQuietly(whole);
      // A document whose page tree cannot be walked is unparseable, as for the watermark.
      if (loaded.getPages().length > 0) pdf = loaded;
    } else await imagePages(whole);
  } catch (error) {
    if (error instanceof BoundsProblem) throw outOfBounds(fileName, error);
    if (error instanceof TiffStructureError)
      throw invalid(
        'FILE_UNDECODABLE',
        `“${fileName.slice(0, 80)}”无法解码（TIFF ${error.message}），未保存`,
      );
  }
  try {
    if (pdf) checkPdfBounds(pdf);
  } catch (error) {
    if (error instanceof BoundsProblem) throw outOfBounds(fileName, error);
    throw error;
  }
  return { mediaType, warnings };
}
