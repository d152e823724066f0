import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { formPageLines, renderScanPage, renderScanPdf, renderScanTiff } from '../demo/scan-pages.js';
import { listFiles } from '../storage/file.service.js';
import { addScan, pagesToRescan, scanPages, scanPolicy, setScanPolicy } from './scan.service.js';

// Scanned paper in: every page's format, size, colour and resolution read from the file, the
// fonds' resolution policy applied (refuse, or keep and flag), pages named 档号-0001 …, and a bad
// file refused with nothing stored.

let system: TestSystem;
let code: string;
const context = () => ({ db: system.database.db, store: system.store, access: SYSTEM });
const upload = (content: Buffer, fileName: string) => ({ stream: Readable.from([content]), fileName });
const lines = (seed: number) => formPageLines(seed).slice(0, 4);

beforeAll(async () => {
  system = await openTestSystem();
  code = await fileOneItem(system);
});
afterAll(() => system?.dispose());

const stored = async () => ({
  ...(await snapshot(system)),
  pages: (await scanPages(system.database.db, code, SYSTEM)).length,
  files: (await listFiles(system.database.db, code, SYSTEM)).length,
});

describe('adding scans', () => {
  it('records each page of a multi-page TIFF and names the file and pages by 档号 and sequence', async () => {
    const tiff = await renderScanTiff([
      { lines: lines(1), colour: 'gray' },
      { lines: lines(2), colour: 'gray' },
      { lines: lines(3), colour: 'gray' },
    ]);
    const result = await addScan(context(), code, upload(tiff, '扫描件.tif'), '档案员张');
    expect(result.format).toBe('tiff');
    expect(result.fileName).toBe(`${code}-0001-0003.tif`);
    expect(result.pages.map((page) => page.imageName)).toEqual([1, 2, 3].map((n) => `${code}-000${n}`));
    expect(result.pages[0]).toMatchObject({
      dpiX: 300,
      dpiY: 300,
      colourMode: 'gray',
      width: 2480,
      height: 3508,
    });
    const png = await renderScanPage({ lines: lines(4), format: 'png', colour: 'color' });
    const next = await addScan(context(), code, upload(png, 'p4.png'), '档案员张');
    expect(next.fileName).toBe(`${code}-0004.png`);
    expect(next.pages[0]).toMatchObject({ page: 4, colourMode: 'color' });
    const pages = await scanPages(system.database.db, code, SYSTEM);
    expect(pages.map((page) => [page.page, page.fileNumber, page.pageInFile])).toEqual([
      [1, 1, 1],
      [2, 1, 2],
      [3, 1, 3],
      [4, 2, 1],
    ]);
    expect(pages.every((page) => page.ocrStatus === 'queued' && page.flags.length === 0)).toBe(true);
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('action', '=', 'item.scanned')
      .execute();
    expect(events).toHaveLength(2);
    expect(JSON.parse(String(events[0]?.payload))).toMatchObject({
      originalName: '扫描件.tif',
      pages: [1, 3],
    });
  });

  it('reads a scanned PDF’s resolution and colour from its page images', async () => {
    const pdf = await renderScanPdf([
      { lines: lines(5), colour: 'bitonal' },
      { lines: lines(6), colour: 'gray', dpi: 400 },
    ]);
    const result = await addScan(context(), code, upload(pdf, 'case.pdf'), '档案员张');
    expect(result.pages.map((page) => [page.dpiX, page.colourMode])).toEqual([
      [300, 'bitonal'],
      [400, 'gray'],
    ]);
    expect(result.fileName).toBe(`${code}-0005-0006.pdf`);
  });
});

describe('resolution policy', () => {
  it('refuses a page below 300 dpi by default, naming the page, and stores nothing', async () => {
    const pdf = await renderScanPdf([
      { lines: lines(7), dpi: 300 },
      { lines: lines(8), dpi: 150 },
    ]);
    const before = await stored();
    await expect(addScan(context(), code, upload(pdf, 'low.pdf'), '档案员张')).rejects.toMatchObject({
      code: 'SCAN_RESOLUTION_TOO_LOW',
      message: expect.stringMatching(/第2页 150×150 dpi.*至少 300 dpi/),
    });
    expect(await stored()).toEqual(before);
  });

  it('keeps and flags low pages when the fonds says so, and lists them for rescanning', async () => {
    await setScanPolicy(system.database.db, FONDS.code, { minDpi: 250, lowDpi: 'flag' }, '管理员');
    expect(await scanPolicy(system.database.db, FONDS.code)).toEqual({ minDpi: 250, lowDpi: 'flag' });
    const jpeg = await renderScanPage({ lines: lines(9), dpi: 200, format: 'jpeg' });
    const result = await addScan(context(), code, upload(jpeg, 'blurry.jpg'), '档案员张');
    expect(result.lowResolution).toEqual([7]);
    expect(result.pages[0]?.flags).toEqual(['low_resolution']);
    const flagged = await pagesToRescan(system.database.db, { access: SYSTEM });
    expect(flagged.map((page) => [page.archiveCode, page.page, page.flags])).toEqual([
      [code, 7, ['low_resolution']],
    ]);
    const policyEvent = await system.database.db
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'fonds.scan_policy_set')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(String(policyEvent.payload))).toMatchObject({
      before: { minDpi: 300, lowDpi: 'reject' },
    });
    await setScanPolicy(system.database.db, FONDS.code, { minDpi: 300, lowDpi: 'reject' }, '管理员');
  });

  it('treats a file that records no resolution as below it, and a JPEG’s default 72 dpi as 72', async () => {
    const blank = () => sharp({ create: { width: 600, height: 800, channels: 3, background: '#ffffff' } });
    await expect(
      addScan(context(), code, upload(await blank().png().toBuffer(), 'nodpi.png'), '档案员张'),
    ).rejects.toMatchObject({
      code: 'SCAN_RESOLUTION_TOO_LOW',
      message: expect.stringContaining('未记录分辨率'),
    });
    await expect(
      addScan(context(), code, upload(await blank().jpeg().toBuffer(), 'camera.jpg'), '档案员张'),
    ).rejects.toMatchObject({
      code: 'SCAN_RESOLUTION_TOO_LOW',
      message: expect.stringContaining('72×72 dpi'),
    });
  });

  it('refuses a bad policy', async () => {
    await expect(
      setScanPolicy(system.database.db, FONDS.code, { minDpi: 30, lowDpi: 'flag' }, '管理员'),
    ).rejects.toMatchObject({ code: 'SCAN_POLICY_INVALID' });
  });
});

describe('bad scans', () => {
  const refused = async (content: Buffer, fileName: string, errorCode: string) => {
    const before = await stored();
    await expect(addScan(context(), code, upload(content, fileName), '档案员张')).rejects.toMatchObject({
      code: errorCode,
    });
    expect(await stored()).toEqual(before);
  };

  it('refuses a truncated JPEG, a PDF that is not one, an unknown format and an empty file', async () => {
    const jpeg = await renderScanPage({ lines: lines(10), format: 'jpeg' });
    await refused(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cut.jpg', 'SCAN_CORRUPT');
    await refused(Buffer.from('%PDF-1.7\nthis is not really a pdf\n'), 'fake.pdf', 'SCAN_CORRUPT');
    await refused(Buffer.from('GIF89a not a scan'), 'x.tif', 'SCAN_FORMAT_UNSUPPORTED');
    await refused(Buffer.alloc(0), 'empty.png', 'FILE_EMPTY');
  });

  it('refuses a file over the size limit while it streams in', async () => {
    const png = await renderScanPage({ lines: lines(11) });
    const before = await stored();
    await expect(
      addScan(context(), code, upload(png, 'big.png'), '档案员张', { maxBytes: 1024 }),
    ).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', kind: 'too_large' });
    expect(await stored()).toEqual(before);
  });

  it('refuses a path-like name and an unknown item', async () => {
    const png = await renderScanPage({ lines: lines(12) });
    await refused(png, '../../etc/passwd', 'FILE_NAME_INVALID');
    await expect(addScan(context(), 'J013-NOPE', upload(png, 'a.png'), '档案员张')).rejects.toMatchObject({
      code: 'ITEM_NOT_FOUND',
    });
  });
});
