import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { appendEvents } from '../modules/integrity/event-log.js';
import { type App, buildApp } from './app.js';

// The audit trail is the 安全审计员's alone: search by who, what and when, export to CSV (itself
// logged), and alerts on accounts that read unusually many sensitive items in an hour.

let database: TestDatabase;
let app: App;
let auditor: TestUser;
let clerk: TestUser;
let reviewer: TestUser;
let sysadmin: TestUser;
let sensitiveCode: string;

const get = (url: string, user: TestUser) => app.inject({ method: 'GET', url, headers: user.headers });

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  auditor = await testUser(database.db, { roles: ['auditor'] });
  clerk = await testUser(database.db, { roles: ['clerk'] });
  reviewer = await testUser(database.db, { roles: ['reviewer'] });
  sysadmin = await testUser(database.db, { roles: ['sysadmin'] });
  await createFonds(database.db, FONDS, 'test');
  const [filed] = await fileItems(database.db, [reimbursement({ sensitivity: 'sensitive' })], 'test');
  sensitiveCode = filed?.archiveCode as string;
  const itemUrl = `/api/v1/items/${encodeURIComponent(sensitiveCode)}`;
  expect((await get(itemUrl, clerk)).statusCode).toBe(200);
  const purpose = encodeURIComponent('=HYPERLINK("http://evil")');
  expect((await get(`${itemUrl}?unmask=true&purpose=${purpose}`, reviewer)).statusCode).toBe(200);
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: clerk.username, password: TEST_PASSWORD },
  });
  expect(login.statusCode).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

describe('audit trail search', () => {
  it('finds who read a sensitive item, with a Chinese label, newest first', async () => {
    const response = await get(`/api/v1/audit/events?actor=${clerk.username}&action=item.read`, auditor);
    expect(response.statusCode).toBe(200);
    const { entries } = response.json();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: clerk.username,
      action: 'item.read',
      actionLabel: '查阅敏感档案',
      subject: `item:${sensitiveCode}`,
    });
  });

  it('filters by a family of actions and shows where a sign-in came from', async () => {
    const { entries } = (
      await get(`/api/v1/audit/events?action=auth.&actor=${clerk.username}`, auditor)
    ).json();
    expect(entries.map((entry: { action: string }) => entry.action)).toEqual(['auth.login']);
    expect(entries[0].address).toBeTruthy();
    const seqs = (await get('/api/v1/audit/events?limit=50', auditor))
      .json()
      .entries.map((entry: { seq: number }) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => b - a));
  });

  it('filters by time and refuses a malformed or reversed range', async () => {
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
    expect((await get(`/api/v1/audit/events?from=${future}`, auditor)).json().entries).toEqual([]);
    const past = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    expect((await get(`/api/v1/audit/events?from=${past}`, auditor)).json().entries.length).toBeGreaterThan(
      3,
    );
    const bad = await get('/api/v1/audit/events?from=yesterday', auditor);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('TIME_INVALID');
    const reversed = await get(`/api/v1/audit/events?from=${future}&to=${past}`, auditor);
    expect(reversed.json().error.code).toBe('TIME_RANGE_INVALID');
  });

  it('is closed to everyone but the auditor', async () => {
    for (const user of [clerk, reviewer, sysadmin])
      for (const url of ['/api/v1/audit/events', '/api/v1/audit/export', '/api/v1/audit/alerts'])
        expect((await get(url, user)).statusCode, `${user.username} ${url}`).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit/events' })).statusCode).toBe(401);
  });
});

describe('audit export', () => {
  it('writes CSV with a BOM and Chinese headers, defuses formulas, and logs the export', async () => {
    const response = await get('/api/v1/audit/export?action=item.', auditor);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    expect(response.headers['content-disposition']).toContain(encodeURIComponent('审计记录'));
    const text = response.body;
    expect(text.startsWith('\uFEFF序号,时间,操作人,事件,事件代码,对象,来源地址,目的,详情\r\n')).toBe(true);
    expect(text).toContain(`,${clerk.username},查阅敏感档案,item.read,item:${sensitiveCode},`);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).not.toMatch(/,=HYPERLINK/);
    const { entries } = (await get('/api/v1/audit/events?action=audit.exported', auditor)).json();
    expect(entries[0]).toMatchObject({ actor: auditor.username, payload: { filter: { action: 'item.' } } });
    expect(entries[0].payload.rows).toBe(text.trim().split('\r\n').length - 1);
  });
});

describe('reading alerts', () => {
  it('names an account that read over a hundred sensitive items in one hour, and no one below the threshold', async () => {
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    hourAgo.setUTCMinutes(10, 0, 0);
    const reads = (actor: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        actor,
        action: 'item.read',
        subject: `item:J013-TEST-${actor}-${index}`,
        payload: { sensitivity: 'sensitive', purpose: null },
      }));
    await database.db.transaction().execute(async (trx) => {
      await appendEvents(trx, reads('bulk.reader', 120), hourAgo);
      await appendEvents(trx, reads('normal.reader', 5), hourAgo);
    });
    const { alerts } = (await get('/api/v1/audit/alerts', auditor)).json();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ actor: 'bulk.reader', items: 120, reads: 120 });
    expect(alerts[0].message).toContain('查阅了 120 件敏感档案');
    expect(alerts[0].message).toContain('北京时间');
    expect((await get('/api/v1/audit/alerts?threshold=200', auditor)).json().alerts).toEqual([]);
    expect(
      (await get('/api/v1/audit/alerts?threshold=5', auditor))
        .json()
        .alerts.map((a: { actor: string }) => a.actor),
    ).toEqual(['bulk.reader', 'normal.reader']);
  });
});
