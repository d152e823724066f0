import { randomBytes } from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { blank, inkedShare, renderPdfPages } from '../../../test/helpers/images.js';
import { isYidangError } from '../../shared/errors.js';
import { newTraceId, type Stamp, stampLines, TRACE_ID_PATTERN } from './stamp.js';
import { canWatermark, cjkFontMissing, stampTileSvg, watermark } from './watermark.js';

// Real rendering: librsvg with the system CJK font draws the stamp, and poppler renders the PDFs we
// produce, so "visible" is checked on pixels rather than on the drawing calls.

const stamp: Stamp = {
  username: 'lisi',
  displayName: '李四',
  at: new Date('2026-11-22T02:05:00Z'),
  purpose: '复核慢特病认定',
  traceId: 'YD-7K3Q-9PZA-4M',
};

describe('the stamp', () => {
  it('says who, when (Beijing time), what for and the trace id, in Chinese', () => {
    expect(stampLines(stamp)).toEqual([
      '医档 · 李四（lisi） · 2026-11-22 10:05',
      '用途：复核慢特病认定',
      '追踪号：YD-7K3Q-9PZA-4M（仅限本人查阅，不得外传）',
    ]);
    expect(stampLines({ ...stamp, purpose: null, displayName: 'lisi' })[0]).toBe(
      '医档 · lisi · 2026-11-22 10:05',
    );
    expect(stampLines({ ...stamp, purpose: '  ' })[1]).toBe('用途：未注明');
  });

  it('makes trace ids that are unambiguous to read back and do not repeat', () => {
    const ids = new Set(Array.from({ length: 2000 }, newTraceId));
    expect(ids.size).toBe(2000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(TRACE_ID_PATTERN);
    expect([...ids].join('')).not.toMatch(/[ILOU]/);
  });

  it('escapes what a user typed, so a purpose cannot inject SVG', () => {
    const svg = stampTileSvg(20, stampLines({ ...stamp, purpose: '<image href="file:///etc/passwd"/>&' }));
    expect(svg).not.toContain('<image');
    expect(svg).toContain('&#60;image href=&#34;file:///etc/passwd&#34;/&#62;&#38;');
  });

  it('draws Chinese glyphs, not empty boxes (a CJK font is installed)', async () => {
    // Missing glyphs all render as the same box, so two different characters would look alike.
    expect(await cjkFontMissing()).toBe(false);
  });
});

describe('watermarking images', () => {
  it('marks a PNG visibly across the whole page and keeps its size and type', async () => {
    const input = await blank(1200, 900).png().toBuffer();
    const copy = await watermark(input, 'image/png', '报销单.png', stamp);
    expect(copy.mediaType).toBe('image/png');
    expect(copy.fileName).toBe('报销单.png');
    const meta = await sharp(copy.data).metadata();
    expect([meta.width, meta.height]).toEqual([1200, 900]);
    expect(await inkedShare(input)).toBe(0);
    expect(await inkedShare(copy.data)).toBeGreaterThan(0.01);
    // Every quarter of the page carries part of the stamp: it cannot be cropped away.
    for (const [left, top] of [
      [0, 0],
      [600, 0],
      [0, 450],
      [600, 450],
    ] as const) {
      const quarter = await sharp(copy.data).extract({ left, top, width: 600, height: 450 }).png().toBuffer();
      expect(await inkedShare(quarter), `${left},${top}`).toBeGreaterThan(0.005);
    }
  });

  it('turns a JPEG upright before marking it and keeps it a JPEG', async () => {
    const input = await blank(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const copy = await watermark(input, 'image/jpeg', 'scan.jpg', stamp);
    const meta = await sharp(copy.data).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([200, 400]);
    expect(await inkedShare(copy.data)).toBeGreaterThan(0.01);
  });

  it('delivers a multi-page TIFF as a PDF with every page marked, sized by its resolution', async () => {
    const page = (shade: string) =>
      sharp({ create: { width: 620, height: 877, channels: 3, background: shade } })
        .png()
        .toBuffer();
    const tiff = await sharp([await page('#ffffff'), await page('#fefefe')], { join: { animated: true } })
      .tiff()
      .withMetadata({ density: 75 })
      .toBuffer();
    const copy = await watermark(tiff, 'image/tiff', '病历扫描.tif', stamp);
    expect(copy.mediaType).toBe('application/pdf');
    expect(copy.fileName).toBe('病历扫描.pdf');
    const pdf = await PDFDocument.load(copy.data);
    expect(pdf.getPageCount()).toBe(2);
    // 620 × 877 pixels at 75 dpi is A4 (595 × 842 points).
    expect(Math.round(pdf.getPage(0).getWidth())).toBe(595);
    expect(Math.round(pdf.getPage(0).getHeight())).toBe(842);
    for (const rendered of renderPdfPages(copy.data))
      expect(await inkedShare(rendered)).toBeGreaterThan(0.01);
  });

  it('refuses an image it cannot decode instead of delivering it unmarked', async () => {
    const error = await watermark(
      Buffer.from('\x89PNG\r\n\x1a\nnot really'),
      'image/png',
      'x.png',
      stamp,
    ).catch((caught: unknown) => caught);
    expect(isYidangError(error) && error.code).toBe('WATERMARK_FAILED');
    expect((error as Error).message).toMatch(/不予导出/);
  });
});

describe('watermarking PDFs', () => {
  async function samplePdf(): Promise<Buffer> {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage([595, 842]).drawText('Invoice 2026-001', { x: 50, y: 780, size: 14, font });
    pdf.addPage([842, 595]).drawText('Settlement list', { x: 50, y: 540, size: 14, font });
    return Buffer.from(await pdf.save());
  }

  it('marks every page, keeps page sizes and content, and records the trace id in the metadata', async () => {
    const input = await samplePdf();
    const copy = await watermark(input, 'application/pdf', '结算单.pdf', stamp);
    expect(copy.mediaType).toBe('application/pdf');
    const pdf = await PDFDocument.load(copy.data);
    expect(pdf.getPages().map((page) => [page.getWidth(), page.getHeight()])).toEqual([
      [595, 842],
      [842, 595],
    ]);
    expect(pdf.getKeywords()).toContain(stamp.traceId);
    const before = renderPdfPages(input);
    const after = renderPdfPages(copy.data);
    expect(after).toHaveLength(2);
    for (const [index, rendered] of after.entries()) {
      const original = await inkedShare(before[index] as Buffer);
      expect(await inkedShare(rendered)).toBeGreaterThan(original + 0.01);
    }
  });

  it('refuses a PDF it cannot parse, saying so in Chinese', async () => {
    const fake = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(500, 7), Buffer.from('\n%%EOF\n')]);
    const error = await watermark(fake, 'application/pdf', 'x.pdf', stamp).catch((caught: unknown) => caught);
    expect(isYidangError(error) && error.code).toBe('WATERMARK_FAILED');
    expect((error as Error).message).toContain('PDF 结构无法解析');
  });

  it('keeps pdf-lib quiet about the objects it skips in a damaged file (the CLI prints our message only)', async () => {
    // Random bytes after a PDF header: find a body that makes pdf-lib warn as it parses.
    const warnings: unknown[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((...args) => warnings.push(args));
    try {
      let damaged: Buffer | undefined;
      for (let tries = 0; tries < 500 && !damaged; tries++) {
        const candidate = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2048)]);
        await PDFDocument.load(candidate, { updateMetadata: false }).catch(() => null);
        if (warnings.length > 0) damaged = candidate;
      }
      expect(damaged).toBeDefined();
      warnings.length = 0;
      // Marked (what pdf-lib recovered) or refused, it is said by us, never by the library.
      await watermark(damaged as Buffer, 'application/pdf', 'x.pdf', stamp).catch(() => null);
      expect(warnings).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('knows which types carry a visible mark', () => {
    expect(canWatermark('application/pdf')).toBe(true);
    expect(canWatermark('image/tiff')).toBe(true);
    expect(canWatermark('application/ofd')).toBe(false);
    expect(canWatermark('text/plain')).toBe(false);
  });
});
