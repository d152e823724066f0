import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

// Checking watermarks on pixels: how much of an image is inked, and PDFs rendered by poppler.

/** Share of pixels that are clearly not white: the marks on a blank page. */
export async function inkedShare(image: Buffer): Promise<number> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let inked = 0;
  for (let offset = 0; offset < data.length; offset += info.channels)
    if (Math.min(data[offset] ?? 255, data[offset + 1] ?? 255, data[offset + 2] ?? 255) < 235) inked++;
  return inked / (info.width * info.height);
}

export const blank = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#ffffff' } });

/** Each page of a PDF rendered by poppler's pdftoppm at 50 dpi, as PNGs. */
export function renderPdfPages(pdf: Buffer): Buffer[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-pdf-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', '50', '-png', path.join(dir, 'in.pdf'), path.join(dir, 'page')]);
    return fs
      .readdirSync(dir)
      .filter((name) => name.startsWith('page'))
      .sort()
      .map((name) => fs.readFileSync(path.join(dir, name)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
