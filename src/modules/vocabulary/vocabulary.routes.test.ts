// test-engine: either
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testUser } from '../../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { type App, buildApp } from '../../http/app.js';
import { VOCABULARY } from './vocabulary.js';

// GET /vocabulary answers any signed-in account (it holds fixed text only) and nobody else.

let database: TestDatabase;
let app: App;
beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

it('answers every signed-in role the same vocabulary, and refuses the anonymous', async () => {
  const anonymous = await app.inject({ method: 'GET', url: '/api/v1/vocabulary' });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.json().error.code).toBe('AUTH_REQUIRED');
  for (const role of ['clerk', 'auditor', 'sysadmin'] as const) {
    const user = await testUser(database.db, { roles: [role], username: `vocab-${role}` });
    const answer = await app.inject({ method: 'GET', url: '/api/v1/vocabulary', headers: user.headers });
    expect(answer.statusCode, role).toBe(200);
    expect(answer.json()).toEqual(JSON.parse(JSON.stringify(VOCABULARY)));
  }
});

it('is described in the OpenAPI document', async () => {
  const document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  expect(document.paths['/api/v1/vocabulary']?.get?.summary).toContain('词汇表');
});
