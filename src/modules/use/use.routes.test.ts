// test-engine: either
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../../test/helpers/fixtures.js';
import { type App, buildApp } from '../../http/app.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { logEvent } from '../integrity/event-log.js';
import { catchUpUses } from './use.follower.js';

// /api/v1/use/… over HTTP: the answers and their status codes, bad input as Chinese errors with stable
// codes, who may call what, and the workbook as a download.

let database: TestDatabase;
let app: App;
let manager: TestUser;
let clerk: TestUser;
let borrower: TestUser;
let code = '';

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  await createFonds(database.db, FONDS, 'test');
  manager = await testUser(database.db, { roles: ['manager'] });
  clerk = await testUser(database.db, { roles: ['clerk'] });
  borrower = await testUser(database.db, { roles: ['clerk'] });
  const [filed] = await fileItems(database.db, [reimbursement()], 'test', { access: SYSTEM });
  code = filed?.archiveCode as string;
  const subject = 'loan:JY2026-000042';
  await logEvent(database.db, {
    actor: borrower.username,
    action: 'loan.requested',
    subject,
    payload: {
      kind: 'paper',
      items: [code],
      purpose: '核对',
      days: 5,
      borrower: { user: borrower.username },
    },
  });
  await logEvent(database.db, {
    actor: 'archivist',
    action: 'loan.handed_over',
    subject,
    payload: { items: [code], due: '2026-12-31' },
  });
  await catchUpUses(database.db);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (user: TestUser, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.headers });

describe('/api/v1/use', () => {
  it('lists the register and counts it; bad filters are 400 with a stable code', async () => {
    const listed = await get(manager, '/use/entries');
    expect(listed.statusCode).toBe(200);
    expect(listed.json().uses.map((use: { archiveCode: string }) => use.archiveCode)).toEqual([code]);
    const stats = await get(manager, '/use/stats?period=quarter&by=department');
    expect(stats.statusCode).toBe(200);
    expect(stats.json().total.uses).toBe(1);
    for (const [url, expected] of [
      ['/use/entries?kind=burn', 'USE_QUERY_INVALID'],
      ['/use/entries?from=2026-02-30', 'TIME_INVALID'],
      ['/use/stats?period=week', 'USE_QUERY_INVALID'],
      ['/use/entries?before=abc', 'USE_QUERY_INVALID'],
    ] as const) {
      const answer = await get(manager, url);
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json().error.code, url).toBe(expected);
      expect(answer.json().error.message).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('statistics and the workbook are for use.stats; a clerk sees only their own uses', async () => {
    expect((await get(clerk, '/use/stats')).statusCode).toBe(403);
    expect((await get(clerk, '/use/stats.xlsx')).statusCode).toBe(403);
    expect((await get(clerk, '/use/entries')).json().uses).toEqual([]);
    expect((await get(borrower, '/use/entries')).json().uses).toHaveLength(1);
    const file = await get(manager, '/use/stats.xlsx?by=kind');
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('spreadsheetml');
    expect(String(file.headers['content-disposition'])).toContain(encodeURIComponent('利用统计'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.rawPayload as never);
    expect(workbook.getWorksheet('利用登记簿')?.rowCount).toBe(2);
  });

  it('records an effect for the borrower; another clerk finds nothing; a bad effect is 400', async () => {
    const [use] = (await get(borrower, '/use/entries')).json().uses as Array<{ seq: number }>;
    const effect = (user: TestUser, seq: number, body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/use/entries/${seq}/effect`,
        headers: user.headers,
        payload: body as object,
      });
    const other = await effect(clerk, use?.seq as number, { effect: 'rights' });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('USE_NOT_FOUND');
    const bad = await effect(borrower, use?.seq as number, { effect: '很好' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('USE_EFFECT_INVALID');
    const recorded = await effect(borrower, use?.seq as number, { effect: '维权', note: '追回待遇' });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json()).toMatchObject({ effect: 'rights', effectName: '维权', effectNote: '追回待遇' });
    const summary = await get(manager, '/use/summary');
    expect(summary.statusCode).toBe(200);
    // The use was logged a moment ago: this month and this year, with its effect.
    expect(summary.json()).toMatchObject({ monthUses: 1, yearUses: 1, effectsRecorded: 1 });
  });
});
