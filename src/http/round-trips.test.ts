import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import { BUSINESS_SCOPE, type Session, sessionFrom } from '../../test/helpers/access-api.js';
import { openTestDatabase } from '../../test/helpers/database.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { countedDatabase, type StatementLog } from '../../test/helpers/statement-counter.js';
import { loadConfig } from '../config/config.js';
import type { Db } from '../db/database.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { catchUpIndex } from '../modules/search/indexer.js';
import { openSystem } from '../system/system.js';
import { type App, buildApp } from './app.js';

// How many statements a request sends to the database, counted through the real driver of either
// engine (BEGIN and COMMIT included). Each is a round trip, and on the embedded engine every one
// queues behind every other request's, so these numbers are pinned: a change that adds a look-up to
// the access path, a search or a listing fails here and has to say why (a change that removes one
// lowers the number).

let app: App;
let db: Db;
let log: StatementLog;
let clerk: Session;
let tokenUser: TestUser;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-round-trips-'));
  const config = loadConfig({ YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1' }, home);
  const counted = countedDatabase(await openTestDatabase());
  log = counted.log;
  const system = await openSystem(config, { initialize: true, database: counted.database });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const items = Array.from({ length: 30 }, (_, index) =>
    reimbursement({ title: `王建国 白内障手术费用报销审核表 ${index + 1}` }),
  );
  await fileItems(
    db,
    [...items, reimbursement({ title: '李秀英 青光眼', sensitivity: 'sensitive' })],
    'test',
    {
      access: SYSTEM,
    },
  );
  await catchUpIndex(db);
  // A clerk whose scope names a category branch (resolved to ids in the access statement).
  await testUser(db, { roles: ['clerk'], scope: BUSINESS_SCOPE, username: 'trips-clerk' });
  clerk = sessionFrom(
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'trips-clerk', password: TEST_PASSWORD },
    }),
  );
  tokenUser = await testUser(db, { roles: ['reviewer'], scope: BUSINESS_SCOPE, username: 'trips-token' });
  dispose = async () => {
    await app.close();
    await counted.database.close();
    fs.rmSync(home, { recursive: true, force: true });
  };
});

afterAll(async () => dispose?.());

/** The statements one request sends, with its answer (the request is made once first, to warm caches). */
async function counted(
  url: string,
  headers: Record<string, string>,
): Promise<{ statements: string[]; body: unknown }> {
  const warm = await app.inject({ method: 'GET', url, headers });
  expect(warm.statusCode, warm.body).toBe(200);
  log.reset();
  const response = await app.inject({ method: 'GET', url, headers });
  expect(response.statusCode, response.body).toBe(200);
  return { statements: [...log.statements], body: response.json() };
}

const listed = (statements: readonly string[]) =>
  statements.map((statement, index) => `${index + 1}. ${statement.slice(0, 120)}`).join('\n');

describe('statements per request', () => {
  it('the access path is one statement: session, account, roles and scope with its category branch', async () => {
    const { statements, body } = await counted('/api/v1/auth/me', clerk.read);
    expect(statements, listed(statements)).toHaveLength(1);
    expect((body as { username: string }).username).toBe('trips-clerk');
  });

  it('so is an API token', async () => {
    const { statements } = await counted('/api/v1/auth/me', tokenUser.headers);
    expect(statements, listed(statements)).toHaveLength(1);
  });

  it('a search is four: access, backlog and categories, the query with its page texts, the items', async () => {
    const url = `/api/v1/search?q=${encodeURIComponent('王建国')}`;
    const { statements, body } = await counted(url, clerk.read);
    expect(statements, listed(statements)).toHaveLength(4);
    // No transaction: the plan's settings travel with the query.
    expect(statements).not.toContain('begin');
    expect((body as { total: number }).total).toBe(30);
  });

  it('so is a search by date with filters, as a token', async () => {
    const url = `/api/v1/search?q=${encodeURIComponent('白内障')}&sort=date&category=JS&limit=5`;
    const { statements, body } = await counted(url, tokenUser.headers);
    expect(statements, listed(statements)).toHaveLength(4);
    expect((body as { hits: unknown[] }).hits).toHaveLength(5);
  });

  it('a search just after a filing takes it into the index in one transaction first', async () => {
    const url = `/api/v1/search?q=${encodeURIComponent('门诊慢特病')}`;
    await counted(url, clerk.read);
    await fileItems(db, [reimbursement({ title: '门诊慢特病 待遇审核表' })], 'test', { access: SYSTEM });
    log.reset();
    const response = await app.inject({ method: 'GET', url, headers: clerk.read });
    expect(response.json().total).toBe(1);
    const statements = [...log.statements];
    // access, prelude; BEGIN, the index's position, the events, the items, their page texts, the
    // documents with the new position, COMMIT; the query; the items (the index's new entries are
    // merged later, its size is not read again)
    expect(statements, listed(statements)).toHaveLength(11);
    expect(statements.filter((statement) => statement === 'begin')).toHaveLength(1);
  });

  it('a listing is two: access and the page, with its category branch and its grants in force', async () => {
    for (const url of ['/api/v1/items?limit=50', '/api/v1/items?limit=50&category=JS']) {
      const { statements, body } = await counted(url, clerk.read);
      expect(statements, `${url}\n${listed(statements)}`).toHaveLength(2);
      const items = (body as { items: Array<{ title: string; withheld?: boolean }> }).items;
      expect(items.length).toBeGreaterThan(30);
      // The sensitive item is on the page, withheld: no grant was found for it in the same statement.
      expect(items.filter((item) => item.withheld)).toHaveLength(1);
    }
  });

  it('an unknown category still answers 404, with one more look', async () => {
    log.reset();
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/items?category=ZZZZ',
      headers: clerk.read,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('CATEGORY_NOT_FOUND');
    expect(log.statements, listed(log.statements)).toHaveLength(3);
  });
});
