// test-engine: either
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, type TestUser, testUser } from '../../test/helpers/access.js';
import { sql } from '../../test/helpers/database.js';
import { FONDS, reimbursement, validId, wrongCheckId } from '../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { type App, buildApp, maskIdsInText } from './app.js';

// No unmasked ID number in the server's request log, in error messages or in the event log, after
// filing, looking up by ID (the number then travels in the URL), reading, and failing validation.

const PERSON = validId('32011519760405001');
let system: TestSystem;
let app: App;
let archivist: TestUser;
const logged: string[] = [];

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(system.database.db, FONDS, 'test');
  archivist = await testUser(system.database.db, { roles: ['archivist'], scope: ALL_SCOPE });
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => logged.push(chunk.toString('utf8')));
  app = await buildApp({ database: system.database, logger: true, logStream: stream });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: archivist.headers, ...(payload ? { payload } : {}) });

describe('ID numbers in logs and messages', () => {
  it('masks an ID number inside any logged text', () => {
    expect(maskIdsInText(`/api/v1/items?idNumber=${PERSON}&limit=5`)).toBe(
      `/api/v1/items?idNumber=${PERSON.slice(0, 6)}********${PERSON.slice(14)}&limit=5`,
    );
  });

  it('never shows one unmasked after filing, looking up, reading and refusing', async () => {
    const filed = await call('POST', '/api/v1/items', reimbursement({ idNumber: PERSON }));
    expect(filed.statusCode).toBe(201);
    const code = filed.json().archiveCode as string;
    const found = await call('GET', `/api/v1/items?idNumber=${PERSON}`);
    expect(found.statusCode).toBe(200);
    expect(found.json().items.map((item: { archiveCode: string }) => item.archiveCode)).toEqual([code]);
    // Masked in the answer too, unless asked for and permitted.
    expect(found.body).not.toContain(PERSON);
    const wrong = wrongCheckId('32011519760405001');
    const refused = await call('GET', `/api/v1/items?idNumber=${wrong}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).not.toContain(wrong);
    const invalid = await call('POST', '/api/v1/items', reimbursement({ idNumber: wrong }));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).not.toContain(wrong);
    const unmasked = await call('GET', `/api/v1/items/${encodeURIComponent(code)}?unmask=true&purpose=核对`);
    expect(unmasked.json().idNumber).toBe(PERSON);

    await new Promise((resolve) => setImmediate(resolve));
    const log = logged.join('');
    expect(log).toContain('idNumber=320115');
    expect(log).toContain(`${PERSON.slice(0, 6)}********${PERSON.slice(14)}`);
    for (const id of [PERSON, wrong]) expect(log).not.toContain(id);

    const events = await sql<{ text: string }>`
      select coalesce(string_agg(actor || subject || payload::text, ''), '') as text from integrity_event`.execute(
      system.database.db,
    );
    expect(events.rows[0]?.text).not.toContain(PERSON);
  });
});
