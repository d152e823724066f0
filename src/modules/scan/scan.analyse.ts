import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { invalid } from '../../shared/errors.js';
import {
  BoundsProblem,
  checkPdfBounds,
  checkRasterSize,
  loadPdfQuietly,
  MAX_IMAGE_PIXELS,
} from '../storage/content-bounds.js';
import {
  type ByteSource,
  DECODABLE_COMPRESSIONS,
  readTiffPages,
  TiffStructureError,
} from '../storage/tiff-structure.js';
import type { ColourMode } from './scan.tables.js';

// What a scanned file is, read from the file itself: its format by magic bytes, and per page the
// pixel size, the resolution the scanner wrote and the colour mode. Every page is decoded once, so a
// truncated or corrupt scan is refused before anything is stored.

const run = promisify(execFile);

export type ScanFormat = 'tiff' | 'jpeg' | 'png' | 'pdf';

export const SCAN_EXTENSIONS: Record<ScanFormat, string> = {
  tiff: 'tif',
  jpeg: 'jpg',
  png: 'png',
  pdf: 'pdf',
};

/** Most pages one scanned file may hold: a thick case file, not a whole box. */
export const MAX_SCAN_PAGES = 2000;

export interface ScannedPage {
  width: number;
  height: number;
  /** Dots per inch as the file records them; null when it records none. */
  dpiX: number | null;
  dpiY: number | null;
  colourMode: ColourMode;
}

export interface ScanAnalysis {
  format: ScanFormat;
  pages: ScannedPage[];
}

export function scanFormat(head: Buffer): ScanFormat | null {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (head.subarray(0, 4).equals(Buffer.from([0x49, 0x49, 0x2a, 0x00]))) return 'tiff';
  if (head.subarray(0, 4).equals(Buffer.from([0x4d, 0x4d, 0x00, 0x2a]))) return 'tiff';
  if (head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return null;
}

/** A scan the decoder cannot read whole: refused with what was found, never stored. */
const undecodable = (fileName: string, detail: string) =>
  invalid(
    'SCAN_UNDECODABLE',
    `扫描件无法解码：“${fileName.slice(0, 80)}”${detail.slice(0, 160)}，未保存，请重新扫描或换用常见的压缩方式`,
  );

const outOfBounds = (fileName: string, problem: BoundsProblem) =>
  invalid(
    'SCAN_BOUNDS_EXCEEDED',
    `扫描件“${fileName.slice(0, 80)}”页面尺寸异常（${problem.message}），未保存`,
  );

/** The spooled file read at offsets, for walking a TIFF's page table without loading it. */
async function fileSource(path: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  return {
    source: {
      size,
      read: async (offset, length) => {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      },
    },
    close: () => handle.close(),
  };
}

/** A TIFF's page table, walked before any decoder sees it: a loop or an unknown compression is refused. */
async function checkTiffStructure(path: string, fileName: string): Promise<void> {
  const { source, close } = await fileSource(path);
  try {
    const pages = await readTiffPages(source, DECODABLE_COMPRESSIONS);
    for (const [index, page] of pages.entries()) checkRasterSize(page.width, page.height, index + 1);
  } catch (error) {
    if (error instanceof TiffStructureError) throw undecodable(fileName, `（${error.message}）`);
    if (error instanceof BoundsProblem) throw outOfBounds(fileName, error);
    throw error;
  } finally {
    await close();
  }
}

const corrupt = (fileName: string, detail: string) =>
  invalid(
    'SCAN_CORRUPT',
    `扫描文件“${fileName.slice(0, 80)}”已损坏或无法读取（${detail.slice(0, 120)}），未保存`,
  );

export async function analyseScan(path: string, fileName: string): Promise<ScanAnalysis> {
  const handle = await fs.open(path, 'r');
  const head = Buffer.alloc(16);
  try {
    await handle.read(head, 0, 16, 0);
  } finally {
    await handle.close();
  }
  const format = scanFormat(head);
  if (!format)
    throw invalid(
      'SCAN_FORMAT_UNSUPPORTED',
      `“${fileName.slice(0, 80)}”不是 TIFF、JPEG、PNG 或 PDF 扫描件（按文件内容判断，与扩展名无关）`,
    );
  if (format === 'tiff') await checkTiffStructure(path, fileName);
  const pages = format === 'pdf' ? await pdfPages(path, fileName) : await imagePages(path, fileName);
  if (pages.length === 0) throw corrupt(fileName, '没有页面');
  return { format, pages };
}

function colourOf(metadata: sharp.Metadata): ColourMode {
  if (metadata.bitsPerSample === 1) return 'bitonal';
  if ((metadata.channels ?? 3) <= 2 || metadata.space === 'b-w' || metadata.space === 'grey16') return 'gray';
  return 'color';
}

async function imagePages(path: string, fileName: string): Promise<ScannedPage[]> {
  let first: sharp.Metadata;
  try {
    first = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(fileName, (error as Error).message);
  }
  const count = first.pages ?? 1;
  if (count > MAX_SCAN_PAGES)
    throw invalid('SCAN_TOO_MANY_PAGES', `扫描文件最多 ${MAX_SCAN_PAGES} 页，此文件有 ${count} 页`);
  try {
    checkRasterSize(first.width ?? 0, first.pageHeight ?? first.height ?? 0);
  } catch (error) {
    if (error instanceof BoundsProblem) throw outOfBounds(fileName, error);
    throw error;
  }
  const pages: ScannedPage[] = [];
  for (let index = 0; index < count; index++) {
    try {
      // failOn 'error': a strip the decoder cannot decompress is an error, not a grey page.
      const image = sharp(path, { page: index, failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS });
      const metadata = index === 0 && count === 1 ? first : await image.metadata();
      // Decoding (to a thumbnail) is what finds a truncated or damaged page.
      await image.resize({ width: 64 }).raw().toBuffer();
      const dpi = metadata.density ? Math.round(metadata.density) : null;
      pages.push({
        width: metadata.width ?? 0,
        height: metadata.height ?? 0,
        dpiX: dpi,
        dpiY: dpi,
        colourMode: colourOf(metadata),
      });
    } catch (error) {
      throw corrupt(fileName, `第${index + 1}页：${(error as Error).message}`);
    }
  }
  return pages;
}

/** A PDF's pages: the count from pdf-lib, each page's scan from poppler's list of its images. */
async function pdfPages(path: string, fileName: string): Promise<ScannedPage[]> {
  let count: number;
  try {
    const bytes = await fs.readFile(path);
    const document = await loadPdfQuietly(bytes);
    count = document.getPageCount();
    if (count <= MAX_SCAN_PAGES) checkPdfBounds(document);
  } catch (error) {
    if (error instanceof BoundsProblem) throw outOfBounds(fileName, error);
    const message = (error as Error).message;
    if (/encrypt/i.test(message))
      throw invalid(
        'SCAN_ENCRYPTED',
        `PDF“${fileName.slice(0, 80)}”已加密，无法长期保存和识别，请提供未加密的文件`,
      );
    throw corrupt(fileName, message);
  }
  if (count > MAX_SCAN_PAGES)
    throw invalid('SCAN_TOO_MANY_PAGES', `扫描文件最多 ${MAX_SCAN_PAGES} 页，此文件有 ${count} 页`);
  let listing: string;
  try {
    listing = (await run('pdfimages', ['-list', path], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    throw corrupt(fileName, (error as Error).message.split('\n')[0] ?? '');
  }
  const largest = new Map<number, ScannedPage & { area: number }>();
  // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
  for (const line of listing.split('\n').slice(2)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 14 || cells[2] !== 'image') continue;
    const [page, width, height, bpc, xPpi, yPpi] = [0, 3, 4, 7, 12, 13].map((at) => Number(cells[at]));
    if (!page || !width || !height) continue;
    const colour = cells[5] ?? '';
    const candidate = {
      width,
      height,
      dpiX: Number.isFinite(xPpi) ? Math.round(xPpi as number) : null,
      dpiY: Number.isFinite(yPpi) ? Math.round(yPpi as number) : null,
      colourMode: (bpc === 1 ? 'bitonal' : colour === 'gray' ? 'gray' : 'color') as ColourMode,
      area: width * height,
    };
    if ((largest.get(page)?.area ?? 0) < candidate.area) largest.set(page, candidate);
  }
  return Array.from({ length: count }, (_, index) => {
    const scan = largest.get(index + 1);
    // A page with no image is not a scan: it has no resolution to meet.
    if (!scan) return { width: 0, height: 0, dpiX: null, dpiY: null, colourMode: 'bitonal' as ColourMode };
    const { area: _area, ...page } = scan;
    return page;
  });
}

/** The resolution a page falls short by, or null when it meets `minDpi`. */
export function resolutionShortfall(page: ScannedPage, minDpi: number): string | null {
  if (page.dpiX === null || page.dpiY === null) return '未记录分辨率';
  if (Math.min(page.dpiX, page.dpiY) < minDpi) return `${page.dpiX}×${page.dpiY} dpi`;
  return null;
}
