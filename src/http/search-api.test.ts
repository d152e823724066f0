import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  BUSINESS_SCOPE,
  call,
  db,
  errorOf,
  fileDirectly,
  signIn,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { onPostgres } from '../../test/helpers/database.js';
import { reimbursement, validId, wrongCheckId } from '../../test/helpers/fixtures.js';
import { type App, buildApp } from './app.js';

// GET /api/v1/search over HTTP with the real app: who may search, what was just filed is found at
// once, the shape of the answer, masking of hits and snippets, scope and the gate on sensitive
// items, refusals of bad input (never a 500), and no unmasked ID number in the request log.

useAccessApi();

const NAME = '王建国';
const PERSON_ID = validId('32011519720815004');
const SENSITIVE_ID = validId('32011519660101002');
const MASKED_ID = `${PERSON_ID.slice(0, 6)}********${PERSON_ID.slice(-4)}`;
const CHINESE = /[\u4e00-\u9fff]/;

let clerk: TestUser;
let reviewer: TestUser;
let liuhe: TestUser;
let insured: TestUser;
/** The item the clerk files over HTTP in the first test (白内障, J013 江宁区). */
let filed = '';
let liuheCode = '';
let sensitiveCode = '';

interface Hit {
  item: Record<string, unknown> & { archiveCode: string; title: string; name: string | null };
  score: number | null;
  highlights: Array<{ field: string; label: string; text: string; marks: Array<[number, number]> }>;
}
interface Facet {
  value: string;
  label: string;
  count: number;
}
interface Result {
  total: number;
  exact: boolean;
  facets: Record<'category' | 'year' | 'region' | 'carrier', Facet[]>;
  hits: Hit[];
  nextCursor: string | null;
  sort: string;
  notices: string[];
  indexPending: number;
}

const query = (params: Record<string, string | number | boolean>) =>
  new URLSearchParams(
    Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]),
  ).toString();
const searchAs = (user: TestUser | undefined, params: Record<string, string | number | boolean>) =>
  call('GET', `/api/v1/search?${query(params)}`, user?.headers ?? {});

async function found(user: TestUser, params: Record<string, string | number | boolean>): Promise<Result> {
  const response = await searchAs(user, params);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as Result;
}
const codes = (result: Result) => result.hits.map((hit) => hit.item.archiveCode).sort();
const counts = (facets: Facet[]) => Object.fromEntries(facets.map((facet) => [facet.value, facet.count]));

async function events(action: string): Promise<Array<{ actor: string; subject: string; payload: string }>> {
  const result = await sql<{ actor: string; subject: string; payload: string }>`
    select actor, subject, payload from integrity_event where action = ${action} order by seq`.execute(db());
  return result.rows;
}

beforeAll(async () => {
  clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE, username: 'search-clerk' });
  reviewer = await testUser(db(), {
    roles: ['reviewer'],
    scope: BUSINESS_SCOPE,
    username: 'search-reviewer',
  });
  liuhe = await testUser(db(), {
    roles: ['clerk'],
    scope: [{ fondsCode: 'J014', regionCode: '320116', categoryCode: null }],
    username: 'search-liuhe',
  });
  insured = await testUser(db(), { roles: ['insured'], scope: [], idNumber: SENSITIVE_ID });
  // Another region's 白内障 item (六合区, fonds J014), and a sensitive 青光眼 item in the clerk's scope.
  liuheCode = await fileDirectly({
    fonds: 'J014',
    poolingRegion: '320116',
    name: '赵六',
    idNumber: validId('32011619800101003'),
    title: '赵六 白内障复查费用报销审核表',
    date: '2023-05-05',
  });
  sensitiveCode = await fileDirectly({
    sensitivity: 'sensitive',
    name: '李秀英',
    idNumber: SENSITIVE_ID,
    title: '李秀英 青光眼手术费用报销审核表',
  });
});

describe('GET /api/v1/search: who may search', () => {
  it('answers 401 without sign-in and 403 to roles without item.read', async () => {
    const anonymous = await searchAs(undefined, { q: '报销' });
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous).code).toBe('AUTH_REQUIRED');
    expect(errorOf(anonymous).message).toMatch(CHINESE);
    for (const role of ['auditor', 'sysadmin', 'secadmin'] as const) {
      const admin = await testUser(db(), { roles: [role], scope: ALL_SCOPE });
      const refused = await searchAs(admin, { q: '报销' });
      expect(refused.statusCode, role).toBe(403);
      expect(errorOf(refused).code).toBe('FORBIDDEN');
    }
  });
});

describe('GET /api/v1/search: read-your-writes and the answer', () => {
  it('finds an item a clerk has just filed over HTTP, with the whole answer shape', async () => {
    const posted = await call(
      'POST',
      '/api/v1/items',
      clerk.headers,
      reimbursement({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 白内障手术费用报销审核表` }),
    );
    expect(posted.statusCode, posted.body).toBe(201);
    filed = posted.json().archiveCode as string;

    const result = await found(clerk, { q: '白内障' });
    expect(codes(result)).toEqual([filed]);
    expect(result).toMatchObject({
      total: 1,
      exact: true,
      nextCursor: null,
      sort: 'relevance',
      notices: [],
      indexPending: 0,
    });
    expect(result.facets).toEqual({
      category: [{ value: 'JSLX', label: expect.stringMatching(CHINESE), count: 1 }],
      year: [{ value: '2024', label: '2024年', count: 1 }],
      region: [{ value: '320115', label: '江宁区', count: 1 }],
      carrier: [{ value: 'electronic', label: '电子', count: 1 }],
    });
    const hit = result.hits[0] as Hit;
    expect(Number.isInteger(hit.score)).toBe(true);
    const title = hit.highlights.find((highlight) => highlight.field === 'title');
    expect(title).toMatchObject({ label: expect.stringMatching(CHINESE), text: hit.item.title });
    expect(title?.marks.length).toBeGreaterThan(0);
    for (const [from, to] of title?.marks ?? []) expect(title?.text.slice(from, to)).toBe('白内障');
  });

  it('works the same for a browser session, and pages with nextCursor', async () => {
    const session = await signIn('search-clerk');
    const first = await call('GET', `/api/v1/search?${query({ q: '报销审核表', limit: 1 })}`, session.read);
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json() as Result;
    // Of the three 报销审核表 so far, the 六合区 one is out of scope and the sensitive one gated.
    expect(page1.total).toBe(1);
    expect(codes(page1)).toEqual([filed]);
    // Two items in scope to page through: one more in J013, filed directly.
    const second = await fileDirectly({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 门诊报销审核表` });
    const both = await found(clerk, { q: '报销审核表', limit: 1, sort: 'date' });
    expect(both.total).toBe(2);
    expect(both.nextCursor).toEqual(expect.any(String));
    const next = await found(clerk, {
      q: '报销审核表',
      limit: 1,
      sort: 'date',
      cursor: both.nextCursor as string,
    });
    expect(next.nextCursor).toBeNull();
    expect([...codes(both), ...codes(next)].sort()).toEqual([filed, second].sort());
    // The same by relevance (the default with words): each item once over the two pages.
    const ranked = await found(clerk, { q: '报销审核表', limit: 1 });
    expect(ranked).toMatchObject({ sort: 'relevance', total: 2, nextCursor: expect.any(String) });
    const rest = await found(clerk, { q: '报销审核表', limit: 1, cursor: ranked.nextCursor as string });
    expect([...codes(ranked), ...codes(rest)].sort()).toEqual([filed, second].sort());
  });
});

describe('GET /api/v1/search: masking', () => {
  it('masks name and ID number in hits, titles and snippets by default', async () => {
    const response = await searchAs(clerk, { q: NAME });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json() as Result;
    expect(codes(result)).toContain(filed);
    for (const hit of result.hits) {
      expect(hit.item.name).toBe('王*国');
      expect(hit.item.idNumber).toBe(MASKED_ID);
      expect(hit.item.title.startsWith('王*国 ')).toBe(true);
      for (const highlight of hit.highlights) expect(highlight.text).not.toContain(NAME);
    }
    expect(response.body).not.toContain(NAME);
    expect(response.body).not.toContain(PERSON_ID);
  });

  it('shows them to a reviewer who asks, logging item.unmasked; refuses a clerk', async () => {
    const before = (await events('item.unmasked')).length;
    const refused = await searchAs(clerk, { q: '白内障', unmask: true });
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('FORBIDDEN');
    expect(refused.body).not.toContain(PERSON_ID);
    expect(await events('item.unmasked')).toHaveLength(before);

    const result = await found(reviewer, { q: '白内障', unmask: true, purpose: '复核报销金额' });
    expect(codes(result)).toEqual([filed]);
    const hit = result.hits[0] as Hit;
    expect(hit.item).toMatchObject({
      name: NAME,
      idNumber: PERSON_ID,
      title: `${NAME} 白内障手术费用报销审核表`,
    });
    const logged = (await events('item.unmasked')).slice(before);
    expect(logged).toEqual([
      {
        actor: reviewer.username,
        subject: `item:${filed}`,
        payload: expect.stringContaining('复核报销金额'),
      },
    ]);
    expect(logged[0]?.payload).not.toContain(PERSON_ID);
  });
});

describe('GET /api/v1/search: scope and sensitive items', () => {
  it('shows a user scoped to another region only their region, in hits, total and facets', async () => {
    const other = await found(liuhe, { q: '白内障' });
    expect(codes(other)).toEqual([liuheCode]);
    expect(other.total).toBe(1);
    expect(counts(other.facets.region)).toEqual({ 320116: 1 });
    expect(counts(other.facets.year)).toEqual({ 2023: 1 });
    const asked = await found(liuhe, { q: '白内障', region: '320115' });
    expect(asked).toMatchObject({ total: 0, hits: [] });
    expect(asked.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    expect((await found(liuhe, { q: filed })).total).toBe(0);
    // And the clerk of 江宁区 does not count the 六合区 item.
    const own = await found(clerk, { q: '白内障' });
    expect(codes(own)).toEqual([filed]);
    expect(counts(own.facets.region)).toEqual({ 320115: 1 });
  });

  it('hides a 敏感 item from a clerk without a grant, while its 参保人 finds it', async () => {
    for (const q of ['青光眼', sensitiveCode, '李秀英']) {
      const result = await found(clerk, { q });
      expect(codes(result), q).not.toContain(sensitiveCode);
      expect(result.total, q).toBe(0);
      expect(result.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    }
    expect((await found(clerk, { sensitivity: '敏感' })).total).toBe(0);
    // It is in the index: the 参保人 whose own record it is finds it.
    const own = await found(insured, { q: '青光眼' });
    expect(codes(own)).toEqual([sensitiveCode]);
  });

  it('is listed in the OpenAPI document', async () => {
    const spec = (await call('GET', '/api/openapi.json')).json();
    const operation = spec.paths['/api/v1/search']?.get;
    expect(operation).toBeDefined();
    const names = (operation.parameters as Array<{ name: string }>).map((parameter) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(['q', 'category', 'yearFrom', 'limit', 'cursor', 'unmask']));
  });
});

describe('GET /api/v1/search: bad input', () => {
  async function refused(params: Record<string, string | number>, code?: string) {
    const response = await searchAs(clerk, params);
    const label = JSON.stringify(params).slice(0, 80);
    expect(response.statusCode, `${label} ${response.body.slice(0, 300)}`).toBe(400);
    const error = errorOf(response);
    if (code) expect(error.code, label).toBe(code);
    expect(error.message, label).toMatch(CHINESE);
    return error;
  }

  it('refuses each with 400, a stable code and a Chinese message', async () => {
    await refused({ q: 'x'.repeat(10_000) });
    await refused({ q: '医'.repeat(600) }, 'QUERY_TOO_LONG');
    await refused({ q: 'AND OR NOT' }, 'QUERY_EMPTY');
    await refused({ q: `${'('.repeat(20)}报销` }, 'QUERY_TOO_COMPLEX');
    await refused({ yearFrom: 2025, yearTo: 2020 }, 'SEARCH_FILTER_INVALID');
    await refused({ q: '报销', limit: 0 }, 'VALIDATION_FAILED');
    await refused({ q: '报销', limit: 1000 }, 'VALIDATION_FAILED');
    await refused({ q: '报销', cursor: 'garbage' }, 'CURSOR_INVALID');
    const wrong = wrongCheckId('32011519720815004');
    const error = await refused({ q: `身份证号:${wrong}` }, 'ID_NUMBER_INVALID');
    expect(JSON.stringify(error)).not.toContain(wrong);
    // A cursor of one sort order is not accepted for the other.
    const page = await found(clerk, { q: '报销审核表', limit: 1, sort: 'date' });
    await refused(
      { q: '报销审核表', sort: 'relevance', cursor: page.nextCursor as string },
      'CURSOR_INVALID',
    );
  });

  it('never answers 500 to hostile or malformed parameters', async () => {
    const hostile: Array<Record<string, string>> = [
      { q: `${'('.repeat(20)}报销` },
      { q: Array.from({ length: 40 }, (_, n) => `词${n}`).join(' ') },
      { q: '"未闭合的短语' },
      { q: "'; drop table item; --" },
      { q: '\u0000\u200b报销' },
      { q: '身份证号:' },
      { q: '报销', sort: 'bogus' },
      { q: '报销', yearFrom: 'abc' },
      { q: '报销', region: '12345' },
      { q: '报销', carrier: '木头' },
      { q: '报销', sensitivity: 'secret' },
      { q: '报销', category: 'NOPE' },
      { q: '报销', fonds: 'j013' },
      { q: '报销', dateFrom: '2024-02-30' },
      { q: '报销', amountMin: '-1' },
      { q: '报销', amountMin: '500', amountMax: '100' },
      { q: '报销', retention: '99年' },
      { q: '报销', cursor: Buffer.from('["date",null,2024,"x",1]').toString('base64url') },
      { q: '报销', limit: '1.5' },
      { q: '报销', unmask: 'maybe' },
    ];
    for (const params of hostile) {
      const response = await searchAs(clerk, params);
      const label = JSON.stringify(params);
      expect(response.statusCode, `${label} ${response.body.slice(0, 300)}`).toBeLessThan(500);
      if (response.statusCode >= 400) expect(errorOf(response).message, label).toMatch(CHINESE);
    }
  });
});

describe('GET /api/v1/search: ID numbers in the request log', () => {
  let logApp: App;
  const logged: string[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logged.push(chunk.toString('utf8')));
    // A second app over the same database, with the request log on.
    logApp = await buildApp({
      database: { db: db(), kind: onPostgres ? 'postgres' : 'pglite', close: async () => {} },
      logger: true,
      logStream: stream,
    });
  });
  afterAll(async () => {
    await logApp?.close();
  });

  const get = (params: Record<string, string>) =>
    logApp.inject({ method: 'GET', url: `/api/v1/search?${query(params)}`, headers: clerk.headers });

  it('finds by ID number but logs it masked, and records the look-up without it', async () => {
    const before = (await events('search.id_lookup')).length;
    for (const q of [`身份证号:${PERSON_ID}`, PERSON_ID, `身份证号:${PERSON_ID} 白内障`]) {
      const response = await get({ q });
      expect(response.statusCode, response.body).toBe(200);
      expect(codes(response.json() as Result), q).toContain(filed);
      expect(response.body).not.toContain(PERSON_ID);
    }
    const wrong = wrongCheckId('32011519720815004');
    expect((await get({ q: `身份证号:${wrong}` })).statusCode).toBe(400);

    await new Promise((resolve) => setImmediate(resolve));
    const log = logged.join('');
    expect(log).toContain('/api/v1/search?');
    expect(log).toContain(MASKED_ID);
    for (const id of [PERSON_ID, wrong]) expect(log).not.toContain(id);
    // Nor in any decoded form of the logged URLs.
    expect(decodeURIComponent(log.replaceAll('+', ' '))).not.toContain(PERSON_ID);

    const lookups = (await events('search.id_lookup')).slice(before);
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    for (const lookup of lookups) expect(lookup.actor).toBe(clerk.username);
    const all = await sql<{ text: string }>`
      select coalesce(string_agg(actor || subject || payload::text, ''), '') as text from integrity_event`.execute(
      db(),
    );
    expect(all.rows[0]?.text).not.toContain(PERSON_ID);
  });

  it('masks an ID number typed in full-width digits (or percent-encoded) in the log too', async () => {
    // The search folds full-width digits (NFKC), so the log must mask the decoded, folded URL too.
    const fullWidth = [...PERSON_ID].map((char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0)).join('');
    const start = logged.length;
    const typed = await get({ q: `身份证号:${fullWidth}` });
    expect(typed.statusCode, typed.body).toBe(200);
    expect(codes(typed.json() as Result)).toContain(filed);
    const encoded = [...PERSON_ID].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('');
    const raw = await logApp.inject({
      method: 'GET',
      url: `/api/v1/search?q=${encoded}`,
      headers: clerk.headers,
    });
    expect(codes(raw.json() as Result)).toContain(filed);

    await new Promise((resolve) => setImmediate(resolve));
    const log = logged.slice(start).join('');
    expect(log).toContain('/api/v1/search?q=');
    expect(decodeURIComponent(log).normalize('NFKC')).not.toContain(PERSON_ID);
  });
});
