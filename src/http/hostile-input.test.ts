// test-engine: either
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import {
  type HostileRequest,
  hostileRequests,
  type Operation,
  operationsOf,
  type Samples,
} from '../../test/helpers/hostile-requests.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createApiToken } from '../modules/access/session.service.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { type App, buildApp } from './app.js';

// Issue 21's proof that nothing crashes the server: every route of the OpenAPI document gets
// generated path parameters, query strings and bodies full of NUL bytes, unpaired surrogates,
// numbers out of range, deep nesting, long strings and broken uploads, from callers of every kind
// (each administrative role, archive staff, nobody). No answer may be a 5xx, every request must be
// answered, and the server must still serve /health and a plain read afterwards. A failure prints
// fast-check's seed and the shrunk request; YIDANG_FUZZ_SEED replays a run, YIDANG_FUZZ_RUNS widens it.

let system: TestSystem;
let app: App;
let operations: Operation[];
const callers: Record<string, Record<string, string>> = { nobody: {} };
let archivist: TestUser;
let samples: Samples;

const RUNS = Number(process.env.YIDANG_FUZZ_RUNS ?? 24);
const SEED = process.env.YIDANG_FUZZ_SEED ? Number(process.env.YIDANG_FUZZ_SEED) : undefined;
const ANSWER_WITHIN_MS = 10_000;

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const [filed] = await fileItems(db, [reimbursement()], 'test', { access: SYSTEM });
  // A few tokens first, so a generated small id never revokes a caller's own token.
  const spare = await testUser(db, { roles: ['clerk'], username: 'fuzz-target' });
  for (let count = 0; count < 3; count++)
    await createApiToken(
      db,
      { username: spare.username, name: `spare-${count}`, permissions: ['item.read'], days: 1 },
      'test',
    );
  archivist = await testUser(db, { roles: ['archivist'] });
  callers.archivist = archivist.headers;
  for (const role of ['clerk', 'reviewer', 'sysadmin', 'secadmin', 'auditor'] as const)
    callers[role] = (await testUser(db, { roles: [role] })).headers;
  const code = filed?.archiveCode as string;
  samples = {
    // Names the routes use, with values that exist, so requests get past "not found" into the work.
    byName: {
      ...reimbursement(),
      archiveCode: code,
      code: 'J013',
      regionCode: '320115',
      username: 'fuzz-target',
      id: 1,
      seq: 0,
      fileNumber: 1,
      items: [code],
      purpose: '核查待遇享受情况',
      hours: 24,
      kind: 'enrollment',
      asOf: '2026-06-30',
      trace: 'YD-7K3Q-9PZA-4M',
      q: '王建国',
    },
    any: [code, 'J013', 'JSLX', 'JS', '320115', '1', 'fuzz-target', 'csv', 'xlsx', '王建国'],
  };
  await app.ready();
  operations = operationsOf(app.swagger() as unknown as Parameters<typeof operationsOf>[0]);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const snippet = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…(${text.length})` : text);

async function send(operation: Operation, caller: string, request: HostileRequest) {
  const headers: Record<string, string> = { ...callers[caller] };
  if (request.body) headers['content-type'] = request.body.contentType;
  const answered = app.inject({
    method: operation.method as 'GET',
    url: request.url,
    headers,
    ...(request.body ? { payload: request.body.payload } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
  });
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile input over every route', () => {
  it('reads the routes from the OpenAPI document', () => {
    // The walk below covers what the document lists; a route missing from it would be missed here.
    expect(operations.length).toBeGreaterThan(80);
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/items',
        'GET /api/v1/audit/events',
        'POST /api/v1/items/{archiveCode}/files',
      ]),
    );
  });

  it('answers every request, never with a 5xx, whoever asks', async () => {
    const seen = new Map<number, number>();
    const names = Object.keys(callers);
    for (const operation of operations) {
      const arbitrary = fc.tuple(fc.constantFrom(...names), hostileRequests(operation, samples));
      await fc.assert(
        fc.asyncProperty(arbitrary, async ([caller, request]) => {
          const response = await send(operation, caller, request);
          seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode >= 500)
            throw new Error(
              `${operation.method} ${snippet(request.url)} as ${caller} → ${response.statusCode} ${snippet(response.body)}`,
            );
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: false, interruptAfterTimeLimit: 60_000 },
      );
    }
    // The walk reached handlers, not only the door: some requests were taken, some refused.
    const taken = [...seen].filter(([status]) => status < 300).reduce((sum, [, count]) => sum + count, 0);
    const refused = [...seen].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
    expect(taken).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 300_000);

  it('still serves health and a plain read afterwards', async () => {
    const health = await app.inject('/api/v1/health');
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
    const items = await app.inject({
      method: 'GET',
      url: '/api/v1/items?limit=5',
      headers: archivist.headers,
    });
    expect(items.statusCode, items.body).toBe(200);
  });
});
