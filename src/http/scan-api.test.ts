// test-engine: either
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { CHECK_AFTER_FILING } from '../modules/check/check.background.js';
import { renderScanPage, renderScanTiff } from '../modules/demo/scan-pages.js';
import { drainOcrQueue } from '../modules/scan/ocr.service.js';
import { systemJobRuntime } from '../system/jobs.js';
import { type App, buildApp } from './app.js';

// Scanning and QC over a real socket, as the web console's 扫描 and 质检 pages call them: upload,
// the page list, the rescan list, OCR progress, the fonds policy, and a batch sampled and decided.

let system: TestSystem;
let app: App;
let base: string;
let clerk: TestUser;
let reviewer: TestUser;
let archivist: TestUser;
let code: string;

beforeAll(async () => {
  system = await openTestSystem();
  code = await fileOneItem(system);
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
  reviewer = await testUser(system.database.db, { roles: ['reviewer'] });
  archivist = await testUser(system.database.db, { roles: ['archivist'] });
  app = await buildApp({ database: system.database, store: system.store });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const ingestChecks = () =>
  system.database.db
    .selectFrom('check_run')
    .select(['target', 'items', 'failed', 'passed'])
    .where('trigger', '=', 'ingest')
    .execute();

const json = (user: TestUser, method: string, path: string, body?: unknown) =>
  fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...user.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

function upload(content: Buffer, fileName: string, query = '', user: TestUser = clerk) {
  const form = new FormData();
  form.append('file', new Blob([content]), fileName);
  return fetch(`${base}/api/v1/items/${encodeURIComponent(code)}/scans${query}`, {
    method: 'POST',
    body: form,
    headers: user.headers,
  });
}

describe('scans over HTTP', () => {
  it('takes a scan, lists its pages with OCR state, and reports progress once OCR ran', async () => {
    const tiff = await renderScanTiff([{ lines: ['门诊费用报销审核表'] }, { lines: ['住院费用结算单'] }]);
    const response = await upload(tiff, '扫描.tif');
    expect(response.status).toBe(201);
    const result = (await response.json()) as {
      fileName: string;
      pages: Array<{ imageName: string; dpiX: number }>;
    };
    expect(result.fileName).toBe(`${code}-0001-0002.tif`);
    expect(result.pages.map((page) => page.dpiX)).toEqual([300, 300]);
    // The four-property check is a job queued with the scan; the server's workers run it after the response.
    expect(await ingestChecks()).toEqual([]);
    expect(await systemJobRuntime(system).drain([CHECK_AFTER_FILING])).toMatchObject({ done: 1 });
    expect((await ingestChecks())[0]).toMatchObject({ target: code, items: 1, failed: 0 });
    const progress = await (await json(clerk, 'GET', '/ocr/progress')).json();
    expect(progress).toMatchObject({ pages: 2, byStatus: { queued: 2 }, finished: 0 });
    await drainOcrQueue({
      db: system.database.db,
      store: system.store,
      settings: { command: 'tesseract', languages: 'chi_sim+eng', concurrency: 1, minConfidence: 70 },
    });
    const pages = (await (await json(clerk, 'GET', `/items/${encodeURIComponent(code)}/scans`)).json()) as {
      pages: Array<{ imageName: string; ocrStatus: string; ocrConfidence: number }>;
    };
    expect(pages.pages.map((page) => [page.imageName, page.ocrStatus])).toEqual([
      [`${code}-0001`, 'done'],
      [`${code}-0002`, 'done'],
    ]);
    expect(pages.pages[0]?.ocrConfidence).toBeGreaterThan(50);
    expect(await (await json(clerk, 'GET', '/ocr/progress')).json()).toMatchObject({
      finished: 1,
      recentlyDone: 2,
    });
  });

  it('answers a low-resolution scan with 400 naming the page, and a fake PDF with 400 in Chinese', async () => {
    const low = await upload(await renderScanPage({ lines: ['低分辨率'], dpi: 150 }), 'low.png');
    expect(low.status).toBe(400);
    expect(await low.json()).toMatchObject({
      error: { code: 'SCAN_RESOLUTION_TOO_LOW', message: expect.stringContaining('第1页') },
    });
    const fake = await upload(Buffer.from('%PDF-1.4 nothing here'), 'fake.pdf');
    expect(fake.status).toBe(400);
    expect(await fake.json()).toMatchObject({
      error: { code: 'SCAN_CORRUPT', message: expect.stringContaining('已损坏') },
    });
  });

  it('lets an archivist switch the fonds to flagging, after which the low page is kept and listed for rescanning', async () => {
    expect(
      (await json(clerk, 'PUT', '/fonds/J013/scan-policy', { minDpi: 300, lowDpi: 'flag' })).status,
    ).toBe(403);
    const set = await json(archivist, 'PUT', '/fonds/J013/scan-policy', { minDpi: 300, lowDpi: 'flag' });
    expect(await set.json()).toEqual({ minDpi: 300, lowDpi: 'flag' });
    expect((await upload(await renderScanPage({ lines: ['低分辨率'], dpi: 150 }), 'low.png')).status).toBe(
      201,
    );
    const rescan = (await (await json(clerk, 'GET', '/scans/rescan')).json()) as {
      pages: Array<{ imageName: string; flags: string[] }>;
    };
    expect(rescan.pages).toEqual([
      expect.objectContaining({ imageName: `${code}-0003`, flags: ['low_resolution'] }),
    ]);
  });
});

describe('QC over HTTP', () => {
  it('creates a batch, samples it, takes verdicts and decides; a clerk may not judge', async () => {
    const created = await json(clerk, 'POST', '/scan-batches', {
      fondsCode: 'J013',
      name: '接口批次',
      sampleRate: 0.5,
    });
    expect(created.status).toBe(201);
    const batch = (await created.json()) as { id: number };
    const pages = await renderScanTiff(
      Array.from({ length: 4 }, (_, n) => ({ lines: [`第${n + 1}页`], widthMm: 40, heightMm: 30 })),
    );
    expect((await upload(pages, 'batch.tif', `?batch=${batch.id}`)).status).toBe(201);
    expect((await json(clerk, 'POST', `/scan-batches/${batch.id}/qc/rounds`, {})).status).toBe(403);
    const drawn = await json(reviewer, 'POST', `/scan-batches/${batch.id}/qc/rounds`, {});
    expect(drawn.status).toBe(201);
    const report = (await drawn.json()) as {
      rounds: Array<{ sampled: number; samples: Array<{ archiveCode: string; page: number }> }>;
    };
    expect(report.rounds[0]?.sampled).toBe(2);
    for (const sample of report.rounds[0]?.samples ?? []) {
      const verdict = await json(reviewer, 'PUT', `/scan-batches/${batch.id}/qc/pages`, {
        archiveCode: sample.archiveCode,
        page: sample.page,
        verdict: 'right',
      });
      expect(verdict.status).toBe(204);
    }
    const decided = await json(reviewer, 'POST', `/scan-batches/${batch.id}/qc/decision`);
    expect(await decided.json()).toMatchObject({
      batch: { status: 'accepted', pages: 4 },
      rounds: [{ decision: 'accepted', wrong: 0 }],
    });
    const listed = (await (await json(clerk, 'GET', '/scan-batches')).json()) as {
      batches: Array<{ name: string; status: string }>;
    };
    expect(listed.batches).toEqual([expect.objectContaining({ name: '接口批次', status: 'accepted' })]);
    const again = await json(reviewer, 'POST', `/scan-batches/${batch.id}/qc/decision`);
    expect(again.status).toBe(409);
    // Someone whose scope is another fonds finds neither the batch nor its OCR progress, and may not
    // requeue every fonds' failed pages at once.
    await createFonds(
      system.database.db,
      { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' },
      'test',
    );
    const outsider = await testUser(system.database.db, {
      roles: ['reviewer', 'clerk'],
      scope: [{ fondsCode: 'J014', regionCode: null, categoryCode: null }],
    });
    expect((await json(outsider, 'GET', `/scan-batches/${batch.id}/qc`)).status).toBe(404);
    expect((await json(outsider, 'GET', `/ocr/progress?batch=${batch.id}`)).status).toBe(404);
    expect(await (await json(outsider, 'GET', '/scan-batches')).json()).toEqual({ batches: [] });
    const retry = await json(outsider, 'POST', '/ocr/retry', {});
    expect(retry.status).toBe(400);
    expect(await retry.json()).toMatchObject({ error: { code: 'OCR_RETRY_TARGET_REQUIRED' } });
  });
});
