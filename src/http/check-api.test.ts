// test-engine: either
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { eicarDatabase, handMadePdf, pdf } from '../../test/helpers/check-files.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import type { CheckReport } from '../modules/check/check.report.js';
import { clamscanAvailable } from '../modules/check/check.virus.js';
import { addFile } from '../modules/storage/file.service.js';
import { type App, buildApp } from './app.js';

// 四性检测 over HTTP: an archivist runs a check, fetches the kept report and its XLSX; roles without
// the permission are refused and items outside the caller's scope are not found.

let system: TestSystem;
let app: App;
let clamav: { dir: string; database: string } | undefined;
let archivist: TestUser;
let otherArchivist: TestUser;
let clerk: TestUser;
let clean: string;
let broken: string;

async function itemWith(fileName: string, content: Buffer): Promise<string> {
  const code = await fileOneItem(system);
  await addFile(
    { access: SYSTEM, db: system.database.db, store: system.store },
    code,
    { stream: streamOf(content), fileName },
    'test',
  );
  return code;
}

beforeAll(async () => {
  // The server takes the ClamAV database from its configuration (YIDANG_CLAMAV_DATABASE).
  if (clamscanAvailable()) clamav = eicarDatabase();
  system = await openTestSystem({ env: clamav ? { YIDANG_CLAMAV_DATABASE: clamav.database } : {} });
  app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    control: { system, token: 'check-api-test' },
  });
  clean = await itemWith('报销单.pdf', await pdf(2));
  broken = await itemWith('加密.pdf', handMadePdf(true));
  await createFonds(
    system.database.db,
    { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' },
    'test',
  );
  archivist = await testUser(system.database.db, { roles: ['archivist'] });
  otherArchivist = await testUser(system.database.db, {
    roles: ['archivist'],
    scope: [{ fondsCode: 'J014', regionCode: null, categoryCode: null }],
  });
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
  if (clamav) fs.rmSync(clamav.dir, { recursive: true, force: true });
});

const post = (user: TestUser, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/checks', headers: user.headers, payload: payload as object });
const get = (user: TestUser, url: string) => app.inject({ method: 'GET', url, headers: user.headers });
const errorCode = (response: { json: () => unknown }) =>
  (response.json() as { error: { code: string } }).error.code;

describe('POST /api/v1/checks', () => {
  it('checks one item and answers the report; GET returns it kept, and as XLSX', async () => {
    const response = await post(archivist, { archiveCode: clean });
    expect(response.statusCode, response.body).toBe(201);
    const report = response.json() as CheckReport;
    expect(report.items).toHaveLength(1);
    expect(report.items[0]?.checks.map((check) => check.propertyName)).toEqual([
      ...Array(4).fill('真实性'),
      ...Array(3).fill('完整性'),
      ...Array(2).fill('可用性'),
      ...Array(2).fill('安全性'),
    ]);
    const byId = Object.fromEntries(report.items[0]?.checks.map((check) => [check.id, check.status]) ?? []);
    expect(byId).toMatchObject({ digest: 'pass', opens: 'pass', log_unaltered: 'pass', counts: 'pass' });
    expect(byId.virus_scan).toBe(clamav ? 'pass' : 'skipped');
    expect(report.runBy).toBe(archivist.username);

    const kept = await get(archivist, `/api/v1/checks/${report.id}`);
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toEqual(report);

    const xlsx = await get(archivist, `/api/v1/checks/${report.id}/report.xlsx`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    expect(xlsx.headers['content-disposition']).toContain(encodeURIComponent('四性检测报告'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const rows = workbook.getWorksheet('逐项结果')?.getSheetValues().filter(Boolean) as unknown[][];
    expect(rows).toHaveLength(12);
    expect(rows[1]?.slice(1, 4)).toEqual([clean, '真实性', '摘要值校验']);
  });

  it('reports a failing item as 不通过 with the check that failed', async () => {
    const response = await post(archivist, { archiveCode: broken });
    expect(response.statusCode).toBe(201);
    const report = response.json() as CheckReport;
    expect(report.summary).toMatchObject({ items: 1, failedItems: 1 });
    expect(report.items[0]?.checks.find((check) => check.id === 'opens')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('PDF 已加密'),
    });
    const xlsx = await get(archivist, `/api/v1/checks/${report.id}/report.xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const failures = workbook.getWorksheet('不通过项')?.getSheetValues().filter(Boolean) as unknown[][];
    expect(failures.map((row) => row[3])).toContain('文件可正常打开');
  });

  it('wants exactly one target', async () => {
    for (const payload of [
      {},
      { archiveCode: clean, batchId: 1 },
      { fonds: 'J013' },
      { archiveCode: clean, extra: 1 },
    ]) {
      const response = await post(archivist, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(errorCode(await post(archivist, { archiveCode: clean, batchId: 1 }))).toBe('CHECK_TARGET_INVALID');
  });

  it('checks a fonds year and an unknown batch is not found', async () => {
    const response = await post(archivist, { fonds: 'J013', year: 2024 });
    expect(response.statusCode).toBe(201);
    const codes = (response.json() as CheckReport).items.map((item) => item.archiveCode);
    expect(codes).toEqual(expect.arrayContaining([clean, broken]));
    const missing = await post(archivist, { batchId: 424242 });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('SCAN_BATCH_NOT_FOUND');
  });
});

describe('who may check', () => {
  it('refuses a role without the permission (403)', async () => {
    const response = await post(clerk, { archiveCode: clean });
    expect(response.statusCode).toBe(403);
    expect(errorCode(response)).toBe('FORBIDDEN');
  });

  it('answers 404 for an item, or a report, outside the caller’s scope', async () => {
    const response = await post(otherArchivist, { archiveCode: clean });
    expect(response.statusCode).toBe(404);
    expect(errorCode(response)).toBe('ITEM_NOT_FOUND');
    const report = (await post(archivist, { archiveCode: clean })).json() as CheckReport;
    for (const url of [`/api/v1/checks/${report.id}`, `/api/v1/checks/${report.id}/report.xlsx`]) {
      const hidden = await get(otherArchivist, url);
      expect(hidden.statusCode, url).toBe(404);
      expect(errorCode(hidden)).toBe('CHECK_NOT_FOUND');
    }
  });
});
