// test-engine: either
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { type App, buildApp } from './app.js';

// 经办即归档 over a real socket, as a settlement system would call it with an API token.

let system: TestSystem;
let app: App;
let base: string;
/** The settlement system's account (经办人员). */
let clerk: TestUser;

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  clerk = await testUser(system.database.db, { roles: ['clerk'], username: 'settlement-system' });
  app = await buildApp({ database: system.database, store: system.store });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const invoice = Buffer.from('%PDF-1.4\n% 住院结算单\n');
const body = (serial: string, overrides: Record<string, unknown> = {}) => ({
  source: '结算系统',
  serial,
  item: reimbursement({ title: `王建国 住院结算单 ${serial}` }),
  files: [{ name: '住院结算单.pdf', contentBase64: invoice.toString('base64') }],
  ...overrides,
});

function post(path: string, payload: unknown, user: TestUser = clerk) {
  return fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

describe('POST /api/v1/ingest', () => {
  it('files on the first push (201) and returns the same 档号 to a retry (200)', async () => {
    const first = await post('/ingest', body('HTTP-001'));
    expect(first.status).toBe(201);
    const filed = (await first.json()) as {
      archiveCode: string;
      replayed: boolean;
      files: Array<{ digest: string }>;
    };
    expect(filed.replayed).toBe(false);
    expect(filed.files[0]?.digest).toBe(
      `sha256:${crypto.createHash('sha256').update(invoice).digest('hex')}`,
    );
    const retry = await post('/ingest', body('HTTP-001'));
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ archiveCode: filed.archiveCode, replayed: true });
    const files = await fetch(`${base}/api/v1/items/${encodeURIComponent(filed.archiveCode)}/files`, {
      headers: clerk.headers,
    });
    expect(((await files.json()) as { files: unknown[] }).files).toHaveLength(1);
  });

  it('refuses a different payload under a used key with 409 and a Chinese reason', async () => {
    await post('/ingest', body('HTTP-002'));
    const response = await post('/ingest', body('HTTP-002', { item: reimbursement({ amount: '1.00' }) }));
    expect(response.status).toBe(409);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('INGEST_KEY_CONFLICT');
    expect(error.message).toContain('业务流水号');
  });

  it('answers bad input with 400 and the field: broken Base64, missing 办理时间, unknown fields, not JSON', async () => {
    const broken = await post(
      '/ingest',
      body('HTTP-003', { files: [{ name: 'a.pdf', contentBase64: '%%%=' }] }),
    );
    expect(broken.status).toBe(400);
    expect(
      ((await broken.json()) as { error: { issues: Array<{ field: string }> } }).error.issues[0]?.field,
    ).toBe('files[0].contentBase64');
    const noTime = await post('/ingest', body('HTTP-004', { item: reimbursement({ handledAt: undefined }) }));
    expect(noTime.status).toBe(400);
    expect(JSON.stringify(await noTime.json())).toContain('办理时间');
    expect((await post('/ingest', { ...body('HTTP-005'), extra: 1 })).status).toBe(400);
    // A misspelt field is refused, not dropped: the business system would lose that value silently.
    const misspelt = await post(
      '/ingest',
      body('HTTP-005', { item: { ...reimbursement(), handeldAt: 'x' } }),
    );
    expect(misspelt.status).toBe(400);
    expect(JSON.stringify(await misspelt.json())).toContain('handeldAt');
    expect((await post('/ingest', '{"source":')).status).toBe(400);
    // None of them used the key.
    expect((await post('/ingest', body('HTTP-003'))).status).toBe(201);
  });

  it('refuses a body past the limit with 413 before reading it all', async () => {
    const huge = body('HTTP-006', {
      files: [{ name: 'big.tif', contentBase64: Buffer.alloc(25 * 1024 * 1024, 1).toString('base64') }],
    });
    const response = await post('/ingest', huge);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('请求体过大');
  });

  it('lets only filing roles push, and the API document describes the route', async () => {
    const reviewer = await testUser(system.database.db, { roles: ['reviewer'] });
    expect((await post('/ingest', body('HTTP-007'), reviewer)).status).toBe(403);
    const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/v1/ingest', '/api/v1/ingest/lag']),
    );
  });
});

describe('GET /api/v1/ingest/lag', () => {
  it('reports the lag to a manager, and not to an insured person', async () => {
    const manager = await testUser(system.database.db, { roles: ['manager'] });
    const response = await fetch(`${base}/api/v1/ingest/lag`, { headers: manager.headers });
    expect(response.status).toBe(200);
    const report = (await response.json()) as {
      overall: { count: number };
      bySource: Array<{ source: string }>;
    };
    expect(report.overall.count).toBeGreaterThanOrEqual(3);
    expect(report.bySource.map((row) => row.source)).toEqual(['结算系统']);
    const insured = await testUser(system.database.db, {
      roles: ['insured'],
      idNumber: reimbursement().idNumber as string,
    });
    expect((await fetch(`${base}/api/v1/ingest/lag`, { headers: insured.headers })).status).toBe(403);
    const bad = await fetch(`${base}/api/v1/ingest/lag?from=yesterday`, { headers: manager.headers });
    expect(bad.status).toBe(400);
  });
});

describe('the duplicates report over HTTP', () => {
  it('lists a pushed duplicate beside the earlier archive, masked, and an archivist resolves it', async () => {
    const item = (amount: string, handledAt: string) =>
      reimbursement({
        insuredNumber: '3201159999999',
        businessType: '零星报销',
        amount,
        handledAt,
        title: '重复推送 报销审核表',
      });
    await post('/ingest', body('DUP-1', { item: item('10', '2024-03-15T10:00:00+08:00'), files: [] }));
    const second = (await (
      await post('/ingest', body('DUP-2', { item: item('11', '2024-03-15T12:00:00+08:00'), files: [] }))
    ).json()) as {
      archiveCode: string;
      duplicates: number;
    };
    expect(second.duplicates).toBe(1);
    const response = await fetch(`${base}/api/v1/duplicates?status=open`, { headers: clerk.headers });
    expect(response.status).toBe(200);
    const report = (await response.json()) as {
      duplicates: Array<{
        flag: { id: number; fields: string[] };
        item: { archiveCode: string; idNumber: string };
        other: { amount: string };
      }>;
    };
    const pair = report.duplicates.find((entry) => entry.item.archiveCode === second.archiveCode);
    expect(pair?.flag.fields).toEqual(['amount']);
    expect(pair?.other.amount).toBe('10.00');
    expect(pair?.item.idNumber).toMatch(/\*/);
    const archivist = await testUser(system.database.db, { roles: ['archivist'] });
    const resolve = (user: TestUser) =>
      fetch(`${base}/api/v1/duplicates/${pair?.flag.id}/resolve`, {
        method: 'POST',
        headers: { ...user.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'keep_both', reason: '两笔不同的报销' }),
      });
    expect((await resolve(clerk)).status).toBe(403);
    const resolved = await resolve(archivist);
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      status: 'kept',
      reason: '两笔不同的报销',
      resolvedBy: archivist.username,
    });
    expect((await resolve(archivist)).status).toBe(409);
  });
});
