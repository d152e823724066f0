import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { YidangError } from '../../shared/errors.js';
import {
  BoundsProblem,
  boundsRefused,
  checkPdfBounds,
  hasGeometry,
  imagePages,
  loadPdfQuietly,
  MAX_BOUNDED_BYTES,
  type RasterPage,
} from '../storage/content-bounds.js';
import { type Stamp, stampLines } from './stamp.js';

export { loadPdfQuietly };

// Visible watermarks burned into the copy that leaves the system: tiled, diagonal, translucent text
// that cannot be cropped away from any part of a page. Text is rendered by librsvg (inside sharp)
// with the system's CJK font, so PDFs get it as an image over each page rather than as font text.

/** Copies are marked in memory; larger files are refused rather than delivered unmarked. */
export const MAX_WATERMARK_BYTES = MAX_BOUNDED_BYTES;
const FONT_FAMILY =
  "'Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', 'Source Han Sans SC', sans-serif";

export interface MarkedCopy {
  data: Buffer;
  mediaType: string;
  /** The name with its extension changed when the format was (a TIFF is delivered as a PDF). */
  fileName: string;
}

// Control characters are not allowed in XML at all; they become spaces.
const escapeXml = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`).replace(/[\u0000-\u001f]/g, ' ');

/** Width of a line in ems: CJK and full-width characters are square, Latin about half. */
function ems(line: string): number {
  return [...line].reduce((sum, char) => sum + ((char.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.6), 0);
}

/** The font size for a page: about 1/30 of its shorter side. */
const fontSizeFor = (width: number, height: number) =>
  Math.round(Math.min(Math.max(Math.min(width, height) / 30, 10), 120));

/**
 * One tile of the stamp: the lines turned 30° inside a box just large enough, with room around them.
 * Repeated over the page (sharp's tiled composite), it covers every part of it; rendering one small tile
 * instead of a page-sized pattern keeps a 300 dpi scan fast.
 */
export function stampTileSvg(fontSize: number, lines: readonly string[]): string {
  const lineHeight = Math.round(fontSize * 1.45);
  const blockWidth = Math.max(...lines.map(ems)) * fontSize;
  const blockHeight = lines.length * lineHeight;
  const angle = Math.PI / 6;
  const width = Math.ceil(blockWidth * Math.cos(angle) + blockHeight * Math.sin(angle) + fontSize * 4);
  const height = Math.ceil(blockWidth * Math.sin(angle) + blockHeight * Math.cos(angle) + fontSize * 4);
  const spans = lines
    .map(
      (line, index) =>
        `<tspan x="${(-blockWidth / 2).toFixed(1)}" dy="${index === 0 ? 0 : lineHeight}">${escapeXml(line)}</tspan>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<g transform="translate(${width / 2} ${height / 2}) rotate(-30)">` +
    `<text y="${(-blockHeight / 2 + fontSize).toFixed(1)}" font-family="${FONT_FAMILY}" font-size="${fontSize}" fill="#b4282d" fill-opacity="0.32">${spans}</text>` +
    '</g></svg>'
  );
}

async function stampTile(width: number, height: number, lines: readonly string[]): Promise<Buffer> {
  const tile = sharp(Buffer.from(stampTileSvg(fontSizeFor(width, height), lines)));
  const { width: tileWidth = 1, height: tileHeight = 1 } = await tile.metadata();
  // A tiled composite may not be larger than the image it covers: a small image gets the tile's middle.
  if (tileWidth <= width && tileHeight <= height) return tile.png().toBuffer();
  const cropWidth = Math.min(tileWidth, width);
  const cropHeight = Math.min(tileHeight, height);
  return tile
    .extract({
      left: Math.floor((tileWidth - cropWidth) / 2),
      top: Math.floor((tileHeight - cropHeight) / 2),
      width: cropWidth,
      height: cropHeight,
    })
    .png()
    .toBuffer();
}

/**
 * Most pixels in one PDF page's overlay. The overlay is drawn stretched over the page, so a page
 * larger than A0 gets a coarser one rather than an allocation its size (A0 at 2 px/pt is 32 million).
 */
export const MAX_OVERLAY_PIXELS = 36_000_000;

/** The overlay's pixel size for a page: 2 px per point, less for pages too large for that. */
export function overlaySize(width: number, height: number): { width: number; height: number } {
  const [w, h] = [Math.max(Math.abs(width), 1), Math.max(Math.abs(height), 1)];
  const scale = Math.min(2, Math.sqrt(MAX_OVERLAY_PIXELS / (w * h)));
  return { width: Math.max(Math.round(w * scale), 1), height: Math.max(Math.round(h * scale), 1) };
}

/**
 * Most pixels of one image page marked in memory (sharp's own default): marking costs about 6 bytes
 * a pixel (measured: 100 million pixels, 600 MB and 14 s), so a larger scan is stored but its copy is
 * refused with a clear error rather than risk the server's memory. An A0 sheet at 400 dpi passes.
 */
export const MAX_WATERMARK_PIXELS = 16383 * 16383;

/** A transparent page-sized PNG covered by the stamp (for drawing over PDF pages). */
export async function overlayPng(width: number, height: number, lines: readonly string[]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: await stampTile(width, height, lines), tile: true }])
    .png()
    .toBuffer();
}

const failed = (reason: string) =>
  new YidangError(
    'WATERMARK_FAILED',
    'invalid',
    `无法为该文件加盖水印（${reason}），为防止无水印副本外流，本次不予导出。`,
  );

const withExtension = (fileName: string, extension: string) =>
  `${fileName.replace(/\.[A-Za-z0-9]{1,8}$/, '')}.${extension}`;

async function markRaster(
  input: Buffer,
  options: sharp.SharpOptions,
  size: RasterPage,
  lines: string[],
): Promise<sharp.Sharp> {
  // The page's size was checked from its header; the decoder is held to the same bound.
  const bounded = { ...options, limitInputPixels: MAX_WATERMARK_PIXELS };
  const { orientation } = await sharp(input, bounded).metadata();
  // Turned upright (EXIF orientation) in the same pass, so the stamp lies on the image as it is seen;
  // orientations 5–8 turn it by a quarter.
  const turned = orientation !== undefined && orientation >= 5;
  const [width, height] = turned ? [size.height, size.width] : [size.width, size.height];
  return sharp(input, bounded)
    .rotate()
    .composite([{ input: await stampTile(width, height, lines), tile: true }]);
}

async function markImage(
  input: Buffer,
  mediaType: string,
  fileName: string,
  lines: string[],
): Promise<MarkedCopy> {
  const pages = await imagePages(input);
  for (const [index, { width, height }] of pages.entries())
    if (width * height > MAX_WATERMARK_PIXELS)
      throw new BoundsProblem(
        `${pages.length > 1 ? `第 ${index + 1} 页` : ''}图像 ${width}×${height} 像素，超过加水印的上限 ${Math.floor(MAX_WATERMARK_PIXELS / 1e6)} 百万像素`,
      );
  const metadata = await sharp(input, { limitInputPixels: MAX_WATERMARK_PIXELS }).metadata();
  if (pages.length > 1 || mediaType === 'image/tiff')
    return tiffAsPdf(input, metadata, pages, fileName, lines);
  const marked = await markRaster(input, {}, pages[0] as RasterPage, lines);
  if (mediaType === 'image/jpeg')
    return { data: await marked.jpeg({ quality: 90 }).toBuffer(), mediaType, fileName };
  if (mediaType === 'image/webp')
    return { data: await marked.webp({ quality: 90 }).toBuffer(), mediaType, fileName };
  const data = await marked.png().toBuffer();
  return {
    data,
    mediaType: 'image/png',
    fileName: mediaType === 'image/png' ? fileName : withExtension(fileName, 'png'),
  };
}

/** Browsers do not show TIFF, and a scan may have many pages: the copy is a PDF of marked pages. */
async function tiffAsPdf(
  input: Buffer,
  metadata: sharp.Metadata,
  pages: readonly RasterPage[],
  fileName: string,
  lines: string[],
): Promise<MarkedCopy> {
  const pdf = await PDFDocument.create();
  for (let page = 0; page < pages.length; page++) {
    const marked = await markRaster(input, { page }, pages[page] as RasterPage, lines);
    const { data, info } = await marked.jpeg({ quality: 85 }).toBuffer({ resolveWithObject: true });
    const dpi = metadata.density && metadata.density > 0 ? metadata.density : 300;
    const image = await pdf.embedJpg(data);
    const width = (info.width / dpi) * 72;
    const height = (info.height / dpi) * 72;
    pdf.addPage([width, height]).drawImage(image, { x: 0, y: 0, width, height });
  }
  return {
    data: Buffer.from(await pdf.save()),
    mediaType: 'application/pdf',
    fileName: withExtension(fileName, 'pdf'),
  };
}

async function markPdf(input: Buffer, fileName: string, stamp: Stamp, lines: string[]): Promise<MarkedCopy> {
  let pdf: PDFDocument;
  try {
    pdf = await loadPdfQuietly(input);
    // pdf-lib recovers what it can from a damaged file; a copy without its pages is no copy.
    if (pdf.getPageCount() === 0) throw new Error('no pages');
  } catch (error) {
    const encrypted = error instanceof Error && /encrypt/i.test(error.message);
    throw failed(encrypted ? 'PDF 已加密' : 'PDF 结构无法解析');
  }
  // Before any overlay is allocated: a page out of bounds refuses the whole copy.
  checkPdfBounds(pdf);
  const overlays = new Map<string, Awaited<ReturnType<PDFDocument['embedPng']>>>();
  for (const page of pdf.getPages()) {
    const box = page.getMediaBox();
    // Rendered at twice the page's point size (sharp enough on screen and in print), within bounds;
    // sizes within about 3% share one overlay, so auto-cropped scans do not each render their own.
    const { width, height } = overlaySize(box.width, box.height);
    const key = `${near(width)}x${near(height)}`;
    let overlay = overlays.get(key);
    if (!overlay) {
      overlay = await pdf.embedPng(await overlayPng(width, height, lines));
      overlays.set(key, overlay);
    }
    page.drawImage(overlay, { x: box.x, y: box.y, width: box.width, height: box.height });
  }
  pdf.setKeywords([stamp.traceId]);
  pdf.setSubject(`追踪号 ${stamp.traceId}`);
  return { data: Buffer.from(await pdf.save()), mediaType: 'application/pdf', fileName };
}

/** A size rounded to about 3%, for sharing an overlay between pages of nearly the same size. */
function near(pixels: number): number {
  const step = Math.max(1, 2 ** Math.floor(Math.log2(pixels)) / 32);
  return Math.round(pixels / step);
}

/**
 * Whether copies of this type carry a visible mark; others leave with the trace id in the log only.
 * These are exactly the types whose page sizes are bounded before they are rasterised.
 */
export function canWatermark(mediaType: string): boolean {
  return hasGeometry(mediaType);
}

export async function watermark(
  input: Buffer,
  mediaType: string,
  fileName: string,
  stamp: Stamp,
): Promise<MarkedCopy> {
  if (input.length > MAX_WATERMARK_BYTES)
    throw new YidangError(
      'WATERMARK_TOO_LARGE',
      'too_large',
      `文件过大（${Math.round(input.length / 1048576)} MB），超过加盖水印的上限 ${MAX_WATERMARK_BYTES / 1048576} MB，不予导出。`,
    );
  const lines = stampLines(stamp);
  const pdf = mediaType === 'application/pdf';
  try {
    return pdf
      ? await markPdf(input, fileName, stamp, lines)
      : await markImage(input, mediaType, fileName, lines);
  } catch (error) {
    if (error instanceof YidangError) throw error;
    if (error instanceof BoundsProblem) throw boundsRefused(error);
    throw failed(pdf ? 'PDF 结构无法解析' : '图像无法解码');
  }
}

/** Whether the system lacks a CJK font: two different characters then render as the same empty box. */
export async function cjkFontMissing(): Promise<boolean> {
  const render = (char: string) =>
    sharp(Buffer.from(stampTileSvg(24, [char.repeat(6)])))
      .raw()
      .toBuffer();
  const [one, other] = await Promise.all([render('医'), render('档')]);
  return one.equals(other);
}
