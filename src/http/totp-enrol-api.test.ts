// test-engine: either
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { totpCode } from '../modules/access/totp.js';
import { type App, buildApp } from './app.js';

// A business user turns on the second factor themselves, in a signed-in browser session: a secret
// to scan, then a current code to prove the app holds it; from then on every sign-in asks for a code.

let database: TestDatabase;
let app: App;
let clerk: TestUser;

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  clerk = await testUser(database.db, { roles: ['clerk'] });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

const login = (totp?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: clerk.username, password: TEST_PASSWORD, ...(totp ? { totp } : {}) },
  });

async function session() {
  const response = await login();
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((entry) => entry.name === 'yidang_session')?.value as string;
  return { cookie: `yidang_session=${cookie}`, 'x-csrf-token': response.json().csrfToken as string };
}

describe('TOTP self-enrolment', () => {
  it('is refused with an API token: a second factor belongs to a person in a browser session', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/new',
      headers: clerk.headers,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('SESSION_REQUIRED');
  });

  it('turns on only with a current code from the secret, and then every sign-in asks for a code', async () => {
    const headers = await session();
    const enrolment = await app.inject({ method: 'POST', url: '/api/v1/auth/totp/new', headers });
    expect(enrolment.statusCode).toBe(200);
    const { secret, uri } = enrolment.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toContain(`secret=${secret}`);
    // Nothing is stored yet: signing in still needs no code.
    expect((await login()).statusCode).toBe(200);

    const confirm = (code: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/totp', headers, payload: { secret, code } });
    const wrong = await confirm(totpCode(secret, Date.now() - 10 * 60_000));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('TOTP_CODE_WRONG');
    expect((await login()).statusCode).toBe(200);

    const confirmedWith = totpCode(secret);
    expect((await confirm(confirmedWith)).statusCode).toBe(200);
    const withoutCode = await login();
    expect(withoutCode.statusCode).toBe(401);
    expect(withoutCode.json().error.code).toBe('TOTP_REQUIRED');
    // The code used to confirm cannot be replayed to sign in.
    expect((await login(confirmedWith)).statusCode).toBe(401);
    expect((await login(totpCode(secret, Date.now() + 30_000))).statusCode).toBe(200);

    const again = await confirm(totpCode(secret, Date.now() + 60_000));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('TOTP_ALREADY_ENABLED');
    const events = await sql<{ actor: string }>`
      select actor from integrity_event where action = 'user.totp_enabled'`.execute(database.db);
    expect(events.rows).toEqual([{ actor: clerk.username }]);
  });

  it('refuses a malformed secret', async () => {
    const other = await testUser(database.db, { roles: ['reviewer'] });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: other.username, password: TEST_PASSWORD },
    });
    const cookie = response.cookies.find((entry) => entry.name === 'yidang_session')?.value as string;
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp',
      headers: { cookie: `yidang_session=${cookie}`, 'x-csrf-token': response.json().csrfToken },
      payload: { secret: 'not-base32-secret!!', code: '123456' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('TOTP_SECRET_INVALID');
  });
});
