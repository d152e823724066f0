// test-engine: either
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, errorOf, fileDirectly } from '../../test/helpers/access-api.js';
import { onPostgres } from '../../test/helpers/database.js';
import { wrongCheckId } from '../../test/helpers/fixtures.js';
import {
  CHINESE,
  clerk,
  codes,
  events,
  found,
  MASKED_ID,
  NAME,
  PERSON_ID,
  query,
  type Result,
  searchAs,
  useSearchApi,
} from '../../test/helpers/search-api.js';
import { type App, buildApp } from './app.js';

// GET /api/v1/search over HTTP with the real app, given bad input: refusals with a stable code and a
// Chinese message (never a 500), and no unmasked ID number in the request log.

useSearchApi();

/** The clerk's 白内障 item (J013 江宁区), of the person PERSON_ID. */
let filed = '';

beforeAll(async () => {
  // What search-api.test.ts files in its tests: the 白内障 item and a second 报销审核表 of the same
  // person, so that a page of one item has a next cursor.
  filed = await fileDirectly({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 白内障手术费用报销审核表` });
  await fileDirectly({ name: NAME, idNumber: PERSON_ID, title: `${NAME} 门诊报销审核表` });
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
