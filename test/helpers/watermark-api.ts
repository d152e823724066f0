import crypto from 'node:crypto';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, expect } from 'vitest';
import { type App, buildApp } from '../../src/http/app.js';
import { TRACE_ID_PATTERN } from '../../src/modules/watermark/stamp.js';
import { type TestUser, testUser } from './access.js';
import { fileOneItem, openTestSystem, type TestSystem } from './system.js';

// Shared set-up for the src/http/watermark-api.*.test.ts files: every copy that leaves over HTTP is
// watermarked (PDFs, images) or left unchanged, and its read logged under the copy's trace id. Real
// server over a socket, real rendering (librsvg, poppler). Each test file calls useWatermarkApi() once
// at its top level and gets its own system, server and users; the bindings below are set by its
// beforeAll (ESM live bindings).

export let system: TestSystem;
let app: App;
export let base: string;
export let archiveCode: string;
export let sensitiveCode: string;
/** Attaches and downloads files (档案员). */
export let archivist: TestUser;
/** Reads the sensitive item under an approved request (经办人员). */
export let clerk: TestUser;
/** Approves access requests (安全保密员). */
export let secadmin: TestUser;
/** Reads the audit trail (安全审计员). */
export let auditor: TestUser;

/** Opens the test system, files the two items, creates the users and starts the server. */
export function useWatermarkApi(): void {
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
}

const filesUrl = (code: string) => `${base}/api/v1/items/${encodeURIComponent(code)}/files`;
const sha256 = (content: Buffer) => `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;

export function call(url: string, user: TestUser, init: RequestInit = {}) {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...user.headers } });
}

export interface Added {
  fileNumber: number;
  fileName: string;
  mediaType: string;
  digest: string;
  size: number;
}

export async function upload(code: string, content: Buffer, name: string): Promise<Added> {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  const response = await call(filesUrl(code), archivist, { method: 'POST', body: form });
  expect(response.status, await response.clone().text()).toBe(201);
  const added = (await response.json()) as Added;
  expect(added.digest).toBe(sha256(content));
  return added;
}

export interface Download {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function download(
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

export interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  purpose: string | null;
  grantId: number | null;
  payload: Record<string, unknown>;
}

export async function eventsByTrace(trace: string): Promise<AuditEntry[]> {
  const response = await call(`${base}/api/v1/audit/events?trace=${encodeURIComponent(trace)}`, auditor);
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: AuditEntry[] }).entries;
}

/** The headers every delivered copy carries; returns its trace id. */
export function expectDelivered(got: Download, original: Added, watermark: 'visible' | 'none'): string {
  expect(got.status, got.body.toString('utf8').slice(0, 300)).toBe(200);
  const trace = got.headers.get('x-yidang-trace') as string;
  expect(trace).toMatch(TRACE_ID_PATTERN);
  expect(got.headers.get('x-yidang-watermark')).toBe(watermark);
  // The stored original's digest, not the marked copy's.
  expect(got.headers.get('x-yidang-digest')).toBe(original.digest);
  expect(got.headers.get('cache-control')).toBe('no-store');
  return trace;
}

export async function samplePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText('Reimbursement 2024-0001', { x: 50, y: 780, size: 14, font });
  pdf.addPage([842, 595]).drawText('Settlement list', { x: 50, y: 540, size: 14, font });
  pdf.setKeywords(['original']);
  return Buffer.from(await pdf.save());
}

export async function sampleTiff(): Promise<Buffer> {
  const page = (shade: string) =>
    sharp({ create: { width: 620, height: 877, channels: 3, background: shade } })
      .png()
      .toBuffer();
  return sharp([await page('#ffffff'), await page('#fefefe')], { join: { animated: true } })
    .tiff()
    .withMetadata({ density: 75 })
    .toBuffer();
}
