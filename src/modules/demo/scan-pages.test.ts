import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIdNumber } from '../catalog/id-number.js';
import {
  formPageLines,
  renderScanPage,
  renderScanPdf,
  renderScanTiff,
  type ScanColour,
  type ScanFormat,
  type ScanPageOptions,
} from './scan-pages.js';

const dir = mkdtempSync(path.join(tmpdir(), 'scan-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function save(name: string, data: Buffer): string {
  writeFileSync(path.join(dir, name), data);
  return path.join(dir, name);
}
const lines = formPageLines(1);
const [A4_WIDTH, A4_HEIGHT] = [2480, 3508];
const CHANNELS: Record<ScanColour, number> = { gray: 1, color: 3, bitonal: 1 };

function levenshtein(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
const characters = (text: string) => [...text.replace(/\s+/g, '')];

describe('formPageLines', () => {
  it('is deterministic and fills a form with a valid synthetic person', () => {
    expect(formPageLines(1)).toEqual(lines);
    expect(formPageLines(1, 2)).not.toEqual(lines);
    const titles = new Set(Array.from({ length: 20 }, (_, seed) => formPageLines(seed)[1]));
    expect([...titles].sort()).toEqual(['住院费用结算单', '慢特病待遇认定表', '门诊费用报销审核表']);
    const id = lines.find((line) => line.startsWith('身份证号:'))?.slice(5) ?? '';
    expect(checkIdNumber(id)).toBeUndefined();
    expect(lines.some((line) => /^姓名:\p{Script=Han}{2,4}$/u.test(line))).toBe(true);
    expect(lines.some((line) => /^医疗机构:.+(医院|卫生院|服务中心)$/.test(line))).toBe(true);
  });

  it('keeps the ink of a long form inside the 25 mm margins of an A4 page', async () => {
    const page = await renderScanPage({ lines: formPageLines(388), dpi: 100 }); // has the widest prose line
    const { info } = await sharp(page).trim({ threshold: 60 }).toBuffer({ resolveWithObject: true });
    const mm = (px: number | undefined) => (px ?? 0) * 0.254;
    const [left, top] = [-mm(info.trimOffsetLeft), -mm(info.trimOffsetTop)];
    expect([left, top]).toEqual([expect.closeTo(25, 0), expect.closeTo(26, 0)]);
    expect(left + mm(info.width)).toBeLessThan(210 - 25);
    expect(top + mm(info.height)).toBeLessThan(297 - 25);
  });
});

describe('renderScanPage', () => {
  const cases = ['png gray', 'png bitonal', 'jpeg gray', 'jpeg color', 'tiff color', 'tiff bitonal'];
  it.each(cases)('writes a %s page at 300 dpi with its resolution', async (name) => {
    const [format, colour] = name.split(' ') as [ScanFormat, ScanColour];
    const page = await renderScanPage({ lines, format, colour });
    const meta = await sharp(page).metadata();
    expect(meta.format).toBe(format);
    expect([meta.width, meta.height]).toEqual([A4_WIDTH, A4_HEIGHT]);
    expect(meta.density).toBe(300);
    expect(meta.channels).toBe(CHANNELS[colour]);
    const { channels } = await sharp(page).stats();
    // Mostly white paper with dark ink: an inverted bitonal page or a blank one fails here.
    expect(channels[0]?.mean).toBeGreaterThan(200);
    expect(channels[0]?.min).toBeLessThan(60);
    if (colour === 'color') expect(channels[2]?.mean).not.toBeCloseTo(channels[0]?.mean ?? 0, 0);
    if (colour === 'bitonal') expect(meta.bitsPerSample).toBe(1);
  });

  it('keeps a blurred bitonal page strictly black and white', async () => {
    const page = await renderScanPage({ lines, colour: 'bitonal', blur: 1.5, dpi: 150 });
    expect(new Set(await sharp(page).raw().toBuffer())).toEqual(new Set([0, 255]));
  });

  it('sizes pixels by the dpi and escapes markup in the text', async () => {
    const half = await sharp(await renderScanPage({ lines: ['<a & "b">'], dpi: 150 })).metadata();
    expect([half.width, half.height, half.density]).toEqual([A4_WIDTH / 2, A4_HEIGHT / 2, 150]);
    const card = await sharp(
      await renderScanPage({ lines, dpi: 200, widthMm: 85.6, heightMm: 54 }),
    ).metadata();
    expect([card.width, card.height]).toEqual([674, 425]);
  });

  it('is read back by Tesseract with a character error rate under 5 %', async () => {
    const file = save('page.png', await renderScanPage({ lines, dpi: 300, colour: 'gray' }));
    const ocr = execFileSync('tesseract', [file, 'stdout', '-l', 'chi_sim+eng'], { stdio: 'pipe' });
    const text = ocr.toString();
    const expected = characters(lines.join(''));
    const cer = levenshtein(characters(text), expected) / expected.length;
    expect(cer).toBeLessThan(0.05);
    const id = lines.find((line) => line.startsWith('身份证号:'))?.slice(5) ?? '';
    expect(text.replace(/\s+/g, '')).toContain(id);
  });
});

describe('multi-page files', () => {
  const pages = (colour: ScanColour, dpi: number, count = 3) =>
    Array.from({ length: count }, (_, page) => ({ lines: formPageLines(4, page + 1), colour, dpi }));

  it.each(['gray', 'bitonal'] as const)(
    'writes a %s TIFF whose every page keeps size and dpi',
    async (colour) => {
      const tiff = await renderScanTiff(pages(colour, 200));
      expect((await sharp(tiff).metadata()).pages).toBe(3);
      for (let page = 0; page < 3; page++) {
        const meta = await sharp(tiff, { page }).metadata();
        expect([meta.width, meta.height, meta.density, meta.channels]).toEqual([1654, 2339, 200, 1]);
        expect((await sharp(tiff, { page }).stats()).channels[0]?.mean).toBeGreaterThan(200);
      }
    },
  );

  it('refuses TIFF pages of different sizes', async () => {
    const small = { lines: ['一'], widthMm: 50, heightMm: 50 };
    await expect(renderScanTiff([small, { ...small, dpi: 150 }])).rejects.toThrow(/share size/);
  });

  it('writes a PDF whose images are at their page dpi', async () => {
    const scan: ScanPageOptions[] = [
      ...pages('gray', 300, 2),
      { lines, colour: 'color', dpi: 200 },
      { lines, colour: 'bitonal' },
    ];
    const pdf = save('scan.pdf', await renderScanPdf(scan));
    expect(execFileSync('pdfinfo', [pdf]).toString()).toMatch(/^Pages:\s+4$/m);
    const rows = execFileSync('pdfimages', ['-list', pdf]).toString().trim().split('\n').slice(2);
    // Columns: page num type width height color comp bpc enc interp object generation x-ppi y-ppi …
    expect(
      rows.map((row) => row.trim().split(/\s+/)).map((c) => [c[3], c[5], c[7], c[8], c[12], c[13]]),
    ).toEqual([
      ['2480', 'gray', '8', 'jpeg', '300', '300'],
      ['2480', 'gray', '8', 'jpeg', '300', '300'],
      ['1654', 'rgb', '8', 'jpeg', '200', '200'],
      ['2480', 'gray', '1', 'image', '300', '300'],
    ]);
    // The 1-bit page must come out black on white, not inverted, in another reader too.
    const bitonal = execFileSync('pdftoppm', ['-f', '4', '-l', '4', '-r', '30', '-gray', '-png', pdf]);
    const { channels } = await sharp(bitonal).stats();
    expect([(channels[0]?.mean ?? 0) > 200, (channels[0]?.min ?? 255) < 128]).toEqual([true, true]);
  });
});
