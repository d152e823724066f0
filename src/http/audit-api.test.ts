// test-engine: either
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { UTC_TIME } from '../../test/helpers/workbook-times.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { eventLabel, isEventName } from '../modules/integrity/event-catalog.js';
import { appendEvents } from '../modules/integrity/event-log.js';
import { beijingDateTime } from '../shared/beijing-time.js';
import { type App, buildApp } from './app.js';

// The audit trail is the 安全审计员's alone: search by who, what and when, export to CSV (itself
// logged), and alerts on accounts that read unusually many sensitive items in an hour.

let database: TestDatabase;
let app: App;
let auditor: TestUser;
let clerk: TestUser;
let reviewer: TestUser;
let sysadmin: TestUser;
let secadmin: TestUser;
let sensitiveCode: string;
/** The approved access requests (授权单) the clerk and the reviewer read the sensitive item under. */
let clerkGrant: number;
let reviewerGrant: number;
const CLERK_PURPOSE = '核对报销材料';

const get = (url: string, user: TestUser) => app.inject({ method: 'GET', url, headers: user.headers });
const post = (url: string, user: TestUser, payload: object) =>
  app.inject({ method: 'POST', url, headers: user.headers, payload });

/** Asks for the item as `user` and has the 安全保密员 approve; returns the request's id. */
async function granted(user: TestUser, purpose: string): Promise<number> {
  const asked = await post('/api/v1/access-requests', user, { items: [sensitiveCode], purpose });
  expect(asked.statusCode, asked.body).toBe(201);
  const id = asked.json().id as number;
  const approved = await post(`/api/v1/access-requests/${id}/approve`, secadmin, {});
  expect(approved.statusCode, approved.body).toBe(200);
  expect(approved.json().status).toBe('approved');
  return id;
}

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  auditor = await testUser(database.db, { roles: ['auditor'] });
  clerk = await testUser(database.db, { roles: ['clerk'] });
  reviewer = await testUser(database.db, { roles: ['reviewer'] });
  sysadmin = await testUser(database.db, { roles: ['sysadmin'] });
  secadmin = await testUser(database.db, { roles: ['secadmin'] });
  await createFonds(database.db, FONDS, 'test');
  const [filed] = await fileItems(database.db, [reimbursement({ sensitivity: 'sensitive' })], 'test', {
    access: SYSTEM,
  });
  sensitiveCode = filed?.archiveCode as string;
  const itemUrl = `/api/v1/items/${encodeURIComponent(sensitiveCode)}`;
  // Without an approved request the sensitive item is closed to them, and the refusal is no read.
  const refused = await get(itemUrl, clerk);
  expect(refused.statusCode).toBe(403);
  expect(refused.json().error.code).toBe('GRANT_REQUIRED');
  clerkGrant = await granted(clerk, CLERK_PURPOSE);
  reviewerGrant = await granted(reviewer, '复核待遇审核');
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
      // Read under the clerk's approved request, for the purpose stated in it.
      grantId: clerkGrant,
      purpose: CLERK_PURPOSE,
      payload: { sensitivity: 'sensitive', grantId: clerkGrant, purpose: CLERK_PURPOSE },
    });
    // A purpose given with the read is kept; the grant is still named.
    const reviewed = (
      await get(`/api/v1/audit/events?actor=${reviewer.username}&action=item.read`, auditor)
    ).json().entries;
    expect(reviewed).toHaveLength(1);
    expect(reviewed[0]).toMatchObject({ grantId: reviewerGrant, purpose: '=HYPERLINK("http://evil")' });
  });

  it('shows one access request whole with grant=<id>: its steps and every read under it', async () => {
    const response = await get(`/api/v1/audit/events?grant=${clerkGrant}`, auditor);
    expect(response.statusCode).toBe(200);
    const steps = (
      response.json().entries as Array<{
        actor: string;
        action: string;
        subject: string;
        grantId: number | null;
      }>
    ).map(({ actor, action, subject, grantId }) => ({ actor, action, subject, grantId }));
    expect(steps).toEqual([
      { actor: clerk.username, action: 'item.read', subject: `item:${sensitiveCode}`, grantId: clerkGrant },
      {
        actor: secadmin.username,
        action: 'access.approved',
        subject: `access-request:${clerkGrant}`,
        grantId: null,
      },
      {
        actor: clerk.username,
        action: 'access.requested',
        subject: `access-request:${clerkGrant}`,
        grantId: null,
      },
    ]);
    expect(response.json().entries.map((entry: { actionLabel: string }) => entry.actionLabel)).toEqual([
      '查阅敏感档案',
      '批准查阅申请',
      '申请查阅敏感档案',
    ]);
    // The reviewer's request is a different trail; an unknown one is empty, a malformed one refused.
    const other = (await get(`/api/v1/audit/events?grant=${reviewerGrant}`, auditor)).json().entries;
    expect(other.map((entry: { action: string }) => entry.action)).toEqual([
      'item.read',
      'access.approved',
      'access.requested',
    ]);
    expect(other[0].actor).toBe(reviewer.username);
    expect((await get('/api/v1/audit/events?grant=999999', auditor)).json().entries).toEqual([]);
    expect((await get('/api/v1/audit/events?grant=abc', auditor)).statusCode).toBe(400);
    expect((await get('/api/v1/audit/events?grant=0', auditor)).statusCode).toBe(400);
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

  it('answers with times in ISO 8601 with the Beijing offset, the same instant as recorded', async () => {
    const { entries } = (await get('/api/v1/audit/events?limit=5', auditor)).json();
    const stored = await sql<{ seq: number | string; recorded_at: Date | string }>`
      select seq, recorded_at from integrity_event where seq = ${entries[0].seq}`.execute(database.db);
    const recordedAt = new Date(stored.rows[0]?.recorded_at as Date);
    expect(entries[0].recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+08:00$/);
    expect(entries[0].recordedAt.slice(0, 19).replace('T', ' ')).toBe(beijingDateTime(recordedAt));
    expect(Date.parse(entries[0].recordedAt)).toBe(recordedAt.getTime());
    for (const entry of entries) expect(JSON.stringify(entry)).not.toMatch(/\d{2}:\d{2}(\.\d+)?Z"/);
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
    expect(text.startsWith('\uFEFF序号,时间,操作人,事件,事件代码,对象,来源地址,目的,授权单号,详情\r\n')).toBe(
      true,
    );
    // 来源地址 is empty for a read, 目的 and 授权单号 come from the approved request.
    expect(text).toContain(
      `,${clerk.username},查阅敏感档案,item.read,item:${sensitiveCode},,${CLERK_PURPOSE},${clerkGrant},`,
    );
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(text).not.toMatch(/,=HYPERLINK/);
    // Times are the Beijing wall clock the console shows, never UTC with a Z (not even in 详情).
    expect(text).not.toMatch(UTC_TIME);
    const [seq, time] = (text.split('\r\n')[1] as string).split(',');
    const stored = await sql<{ recorded_at: Date | string }>`
      select recorded_at from integrity_event where seq = ${Number(seq)}`.execute(database.db);
    expect(time).toBe(beijingDateTime(stored.rows[0]?.recorded_at ?? null));
    expect(time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const { entries } = (await get('/api/v1/audit/events?action=audit.exported', auditor)).json();
    expect(entries[0]).toMatchObject({ actor: auditor.username, payload: { filter: { action: 'item.' } } });
    expect(entries[0].payload.rows).toBe(text.trim().split('\r\n').length - 1);
  });

  it('exports one access request with grant=<id>, 授权单号 filled on the read', async () => {
    const response = await get(`/api/v1/audit/export?grant=${clerkGrant}`, auditor);
    expect(response.statusCode).toBe(200);
    const rows = response.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows).toHaveLength(4);
    const columns = (rows[0] as string).split(',');
    const grantColumn = columns.indexOf('授权单号');
    expect(grantColumn).toBe(8);
    const read = rows.find((row) => row.includes(',item.read,')) as string;
    expect(read.split(',')[grantColumn]).toBe(String(clerkGrant));
    expect(read.split(',')[columns.indexOf('目的')]).toBe(CLERK_PURPOSE);
    // The request's own steps name it as their subject, not in the 授权单号 column.
    for (const step of rows.filter((row) => row.includes(',access.')))
      expect(step).toContain(`,access-request:${clerkGrant},`);
  });
});

describe('reading alerts', () => {
  it('names an account that read over a hundred sensitive items in one hour, and no one below the threshold', async () => {
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    hourAgo.setUTCMinutes(10, 0, 0);
    const reads = (actor: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        actor,
        action: 'item.read' as const,
        subject: `item:J013-TEST-${actor}-${index}`,
        payload: { sensitivity: 'sensitive', purpose: null, grantId: null },
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

describe('event names', () => {
  it('labels in Chinese every event this run left in the log (sign-ins, requests, reads, exports, filings)', async () => {
    const { rows } = await sql<{ action: string }>`select distinct action from integrity_event`.execute(
      database.db,
    );
    expect(rows.length).toBeGreaterThan(10);
    const { entries } = (await get('/api/v1/audit/events?limit=1000', auditor)).json() as {
      entries: { action: string; actionLabel: string }[];
    };
    const labels = new Map(entries.map((entry) => [entry.action, entry.actionLabel]));
    for (const { action } of rows) {
      expect(isEventName(action), `${action} is in the event catalog`).toBe(true);
      expect(eventLabel(action), action).toMatch(/\p{Script=Han}/u);
      if (labels.has(action)) expect(labels.get(action)).toBe(eventLabel(action));
    }
  });
});
