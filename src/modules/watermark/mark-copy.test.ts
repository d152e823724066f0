import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPdfPages } from '../../../test/helpers/images.js';
import { closeCpuPool } from '../../shared/cpu-pool/cpu-pool.js';
import { isYidangError } from '../../shared/errors.js';
import { markCopy } from './mark-copy.js';
import type { Stamp } from './stamp.js';
import { type MarkedCopy, watermark } from './watermark.js';

// A copy marked on a CPU pool thread is the copy marked in place: same type, name, pages and pixels,
// the same refusals; and marking a PDF there leaves the server thread free.

afterAll(() => closeCpuPool());

const stamp: Stamp = {
  username: 'lisi',
  displayName: '李四',
  at: new Date('2026-11-22T02:05:00Z'),
  purpose: '复核慢特病认定',
  traceId: 'YD-7K3Q-9PZA-4M',
};

async function samplePdf(pages: number): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let page = 0; page < pages; page++)
    pdf
      .addPage(page % 2 ? [842, 595] : [595, 842])
      .drawText(`Settlement ${page + 1}`, { x: 50, y: 500, font });
  return Buffer.from(await pdf.save());
}

const pixels = async (pngs: Buffer[]) => Promise.all(pngs.map((png) => sharp(png).raw().toBuffer()));

async function expectSameCopy(pooled: MarkedCopy, inline: MarkedCopy): Promise<void> {
  expect(pooled.mediaType).toBe(inline.mediaType);
  expect(pooled.fileName).toBe(inline.fileName);
  expect(Buffer.isBuffer(pooled.data)).toBe(true);
  const [a, b] = await Promise.all([PDFDocument.load(pooled.data), PDFDocument.load(inline.data)]);
  expect(a.getPages().map((page) => [page.getWidth(), page.getHeight()])).toEqual(
    b.getPages().map((page) => [page.getWidth(), page.getHeight()]),
  );
  expect(a.getKeywords()).toBe(b.getKeywords());
  // Saved at different instants (the PDF's dates differ); every rendered pixel is the same.
  const [seenPooled, seenInline] = await Promise.all([
    pixels(renderPdfPages(pooled.data)),
    pixels(renderPdfPages(inline.data)),
  ]);
  expect(seenPooled.length).toBe(a.getPageCount());
  for (const [index, page] of seenPooled.entries())
    expect(page.equals(seenInline[index] as Buffer)).toBe(true);
}

describe('marking copies on the pool', () => {
  it('marks a PDF as in place', async () => {
    const input = await samplePdf(3);
    const inline = await watermark(input, 'application/pdf', '结算单.pdf', stamp);
    await expectSameCopy(await markCopy(Buffer.from(input), 'application/pdf', '结算单.pdf', stamp), inline);
  });

  it('delivers a multi-page TIFF as the same PDF as in place', async () => {
    const page = (shade: string) =>
      sharp({ create: { width: 620, height: 877, channels: 3, background: shade } })
        .png()
        .toBuffer();
    const tiff = await sharp([await page('#ffffff'), await page('#fefefe')], { join: { animated: true } })
      .tiff()
      .withMetadata({ density: 75 })
      .toBuffer();
    const inline = await watermark(tiff, 'image/tiff', '病历扫描.tif', stamp);
    const pooled = await markCopy(Buffer.from(tiff), 'image/tiff', '病历扫描.tif', stamp);
    expect(pooled.fileName).toBe('病历扫描.pdf');
    await expectSameCopy(pooled, inline);
  });

  it('refuses a PDF it cannot parse with the same error as in place', async () => {
    const fake = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(500, 7), Buffer.from('\n%%EOF\n')]);
    const inline = await watermark(fake, 'application/pdf', 'x.pdf', stamp).catch((e: unknown) => e);
    const pooled = await markCopy(Buffer.from(fake), 'application/pdf', 'x.pdf', stamp).catch(
      (e: unknown) => e,
    );
    expect(isYidangError(pooled)).toBe(true);
    expect(pooled).toMatchObject({ code: 'WATERMARK_FAILED', kind: 'invalid' });
    expect((pooled as Error).message).toBe((inline as Error).message);
  });

  it('marks a JPEG in place (sharp already works off the server thread), leaving the input whole', async () => {
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();
    const length = jpeg.length;
    const copy = await markCopy(jpeg, 'image/jpeg', 'a.jpg', stamp);
    expect(copy.mediaType).toBe('image/jpeg');
    expect(jpeg.length).toBe(length);
  });

  it('keeps the server thread free while a PDF is marked', async () => {
    const input = await samplePdf(20);
    await markCopy(await samplePdf(1), 'application/pdf', 'warm.pdf', stamp); // the thread is up
    const stall = async (mark: () => Promise<MarkedCopy>) => {
      let last = performance.now();
      let longest = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      await mark();
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    };
    const inline = await stall(() => watermark(input, 'application/pdf', 'a.pdf', stamp));
    const pooled = await stall(() => markCopy(Buffer.from(input), 'application/pdf', 'a.pdf', stamp));
    expect(inline).toBeGreaterThan(200);
    expect(pooled).toBeLessThan(inline / 3);
  }, 60_000);
});
