import { PDFDocument, PDFName, PDFNumber, type PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import { YidangError } from '../../shared/errors.js';
import { bufferSource, isTiff, readTiffPages } from './tiff-structure.js';

// The sizes a stored page or image may have. A page's declared size decides how large a raster the
// watermark allocates, so a 228-byte PDF declaring a 200,000-pt page crashed the server: every size is
// checked here before anything is rasterised, at upload (refused, never stored) and again before each
// copy is marked (a file stored before these bounds existed answers an error, it cannot crash).

/** Largest file the watermark marks (in memory); larger ones are never rasterised, so never sized. */
export const MAX_BOUNDED_BYTES = 256 * 1024 * 1024;
/** Largest PDF page side without UserUnit scaling, in points (200 inches: PDF's own limit). */
export const MAX_PAGE_POINTS = 14_400;
/** Pages of one document: a thick case file, not a whole shelf. */
export const MAX_DOCUMENT_PAGES = 10_000;
/** Longest image side in pixels (JPEG's own limit; an A0 sheet at 1200 dpi is 56,000). */
export const MAX_IMAGE_SIDE = 65_535;
/** Most pixels in one image or page: an A0 scan at 600 dpi (19,866 × 28,087, 558 million) passes. */
export const MAX_IMAGE_PIXELS = 600_000_000;

/** What is out of bounds, in Chinese, for the message of whoever refuses it. */
export class BoundsProblem extends Error {}

const RASTER_TYPES = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/gif', 'image/webp']);

/** Whether the content's size must be checked before it is rasterised (the types the watermark marks). */
export const hasGeometry = (mediaType: string) =>
  mediaType === 'application/pdf' || RASTER_TYPES.has(mediaType);

/**
 * pdf-lib reports each object it skips in a damaged file with console.warn, which reached the CLI's
 * stderr ahead of our own message; the damage is ours to report (as 无法加盖水印) or to recover from
 * silently. Nothing else here writes to console.warn (logs go through the server's logger).
 */
export async function loadPdfQuietly(input: Buffer): Promise<PDFDocument> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await PDFDocument.load(input, { updateMetadata: false });
  } finally {
    console.warn = warn;
  }
}

const points = (value: number) => `${Math.round(value).toLocaleString('en-US')}`;

function checkBox(name: string, page: number, box: { x: number; y: number; width: number; height: number }) {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isFinite))
    throw new BoundsProblem(`第 ${page} 页的${name}不是有效的数字`);
  const [w, h] = [Math.abs(width), Math.abs(height)];
  if (w > MAX_PAGE_POINTS || h > MAX_PAGE_POINTS || w < 1 || h < 1)
    throw new BoundsProblem(
      `第 ${page} 页的${name}为 ${points(w)}×${points(h)} pt，应在 1–${points(MAX_PAGE_POINTS)} pt 之间`,
    );
}

function checkPage(page: PDFPage, number: number): void {
  checkBox('页面尺寸（MediaBox）', number, page.getMediaBox());
  checkBox('裁切框（CropBox）', number, page.getCropBox());
  const rotation = page.getRotation().angle;
  if (!Number.isInteger(rotation) || rotation % 90 !== 0)
    throw new BoundsProblem(`第 ${number} 页的旋转角度 ${String(rotation).slice(0, 20)} 不是 90 的整数倍`);
  const unit = page.node.get(PDFName.of('UserUnit'));
  if (unit instanceof PDFNumber && !(unit.asNumber() > 0 && unit.asNumber() <= 75_000))
    throw new BoundsProblem(`第 ${number} 页的 UserUnit（${String(unit.asNumber()).slice(0, 20)}）超出范围`);
}

/** Every page's boxes, rotation and scale within bounds, and not too many pages. */
export function checkPdfBounds(pdf: PDFDocument): void {
  const count = pdf.getPageCount();
  if (count > MAX_DOCUMENT_PAGES)
    throw new BoundsProblem(`共 ${count} 页，超过 ${MAX_DOCUMENT_PAGES} 页的上限`);
  let number = 0;
  for (const page of pdf.getPages()) {
    number += 1;
    try {
      checkPage(page, number);
    } catch (error) {
      if (error instanceof BoundsProblem) throw error;
      throw new BoundsProblem(`第 ${number} 页的页面尺寸无法读取`);
    }
  }
}

export function checkRasterSize(width: number, height: number, page?: number): void {
  const where = page === undefined ? '图像' : `第 ${page} 页图像`;
  if (!(width > 0 && height > 0)) throw new BoundsProblem(`${where}没有有效的宽度或高度`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS)
    throw new BoundsProblem(
      `${where}为 ${points(width)}×${points(height)} 像素，超过上限（每边 ${points(MAX_IMAGE_SIDE)}、共 ${MAX_IMAGE_PIXELS / 1e6} 百万像素）`,
    );
}

export interface RasterPage {
  width: number;
  height: number;
}

/**
 * Each page's pixel size of an image, from its header only (nothing is decoded): TIFFs from their
 * page table (a loop or an unknown compression throws TiffStructureError), the rest from sharp's metadata.
 */
export async function imagePages(input: Buffer): Promise<RasterPage[]> {
  if (isTiff(input)) {
    // A loop or an unknown compression throws TiffStructureError: damage, not a size.
    const pages = await readTiffPages(bufferSource(input));
    for (const [index, page] of pages.entries()) checkRasterSize(page.width, page.height, index + 1);
    return pages;
  }
  // A header sharp cannot read is damage, not a size out of bounds: its error goes to the caller.
  const metadata = await sharp(input, { limitInputPixels: false }).metadata();
  const count = metadata.pages ?? 1;
  if (count > MAX_DOCUMENT_PAGES)
    throw new BoundsProblem(`共 ${count} 帧，超过 ${MAX_DOCUMENT_PAGES} 帧的上限`);
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  const width = metadata.width ?? 0;
  checkRasterSize(width, height);
  return Array.from({ length: count }, () => ({ width, height }));
}

/** The error a stored file out of bounds answers when a copy of it is asked for. */
export const boundsRefused = (problem: BoundsProblem) =>
  new YidangError(
    'FILE_BOUNDS_EXCEEDED',
    'unprocessable',
    `文件页面尺寸异常，无法加水印，请联系档案员（${problem.message}）`,
  );
