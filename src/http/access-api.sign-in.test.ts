// test-engine: either
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  app,
  call,
  codeUrl,
  db,
  errorOf,
  fileDirectly,
  login,
  type Method,
  sessionFrom,
  signIn,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { ROLE_PERMISSIONS } from '../modules/access/roles.js';
import { totpCode } from '../modules/access/totp.js';
import { countItems } from '../modules/catalog/item.service.js';
import { CSRF_HEADER, SESSION_COOKIE } from './auth.js';

// The access layer over HTTP on a real database, part 1: sign-in and sessions (cookie + CSRF token),
// no way round the access layer, lockout and the second factor. The shared set-up is in
// test/helpers/access-api.ts; the other parts are access-api.scope.test.ts and access-api.accounts.test.ts.

useAccessApi();

describe('sessions', () => {
  let clerk: TestUser;
  beforeAll(async () => {
    clerk = await testUser(db(), { roles: ['clerk'] });
  });

  it('signs in with an httpOnly SameSite=Strict cookie, and changes need the CSRF token', async () => {
    const response = await login(clerk.username);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toMatchObject({ username: clerk.username, roles: ['clerk'] });
    expect(body.csrfToken).toEqual(expect.any(String));
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    const cookie = response.cookies.find((entry) => entry.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    // The session token lives only in the cookie: the page's script never sees it.
    expect(response.body).not.toContain(cookie?.value);
    const session = sessionFrom(response);
    expect(session.csrfToken).not.toBe(session.cookie);

    const me = await call('GET', '/api/v1/auth/me', session.read);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: clerk.username, roles: ['clerk'] });
    expect(me.json().permissions).toEqual([...ROLE_PERMISSIONS.clerk].sort());

    const before = await countItems(db(), SYSTEM);
    const forged = await call('POST', '/api/v1/items', session.read, reimbursement());
    expect(forged.statusCode).toBe(403);
    expect(errorOf(forged).code).toBe('CSRF_INVALID');
    const wrong = await call(
      'POST',
      '/api/v1/items',
      { ...session.read, [CSRF_HEADER]: `${session.csrfToken}x` },
      reimbursement(),
    );
    expect(wrong.statusCode).toBe(403);
    expect(errorOf(wrong).code).toBe('CSRF_INVALID');
    expect(await countItems(db(), SYSTEM)).toBe(before);

    const filed = await call('POST', '/api/v1/items', session.write, reimbursement());
    expect(filed.statusCode).toBe(201);
    expect(filed.json().createdBy).toBe(clerk.username);
    expect(await countItems(db(), SYSTEM)).toBe(before + 1);
    // A read needs no CSRF token.
    expect((await call('GET', codeUrl(filed.json().archiveCode), session.read)).statusCode).toBe(200);
  });

  it('refuses a tampered cookie and a signed-out session', async () => {
    const session = await signIn(clerk.username);
    const last = session.cookie.at(-1) === 'A' ? 'B' : 'A';
    const tampered = await call('GET', '/api/v1/auth/me', {
      cookie: `${SESSION_COOKIE}=${session.cookie.slice(0, -1)}${last}`,
    });
    expect(tampered.statusCode).toBe(401);
    expect(errorOf(tampered).code).toBe('AUTH_REQUIRED');
    const invented = await call('GET', '/api/v1/items', { cookie: `${SESSION_COOKIE}=invented` });
    expect(invented.statusCode).toBe(401);

    // Signing out is a change too: a forged cross-site logout is refused.
    const forgedLogout = await call('POST', '/api/v1/auth/logout', session.read);
    expect(forgedLogout.statusCode).toBe(403);
    expect((await call('GET', '/api/v1/auth/me', session.read)).statusCode).toBe(200);

    const logout = await call('POST', '/api/v1/auth/logout', session.write);
    expect(logout.statusCode).toBe(200);
    expect(logout.cookies.find((entry) => entry.name === SESSION_COOKIE)?.value).toBe('');
    const after = await call('GET', '/api/v1/auth/me', session.read);
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).code).toBe('AUTH_REQUIRED');
    expect((await call('GET', '/api/v1/items', session.read)).statusCode).toBe(401);
  });

  it('answers 401 AUTH_REQUIRED without credentials and 401 TOKEN_INVALID for a made-up token', async () => {
    const none = await call('GET', '/api/v1/auth/me');
    expect(none.statusCode).toBe(401);
    expect(errorOf(none).code).toBe('AUTH_REQUIRED');
    const madeUp = await call('GET', '/api/v1/items', {
      authorization: `Bearer ydt_0123456789abcdef_${'x'.repeat(43)}`,
    });
    expect(madeUp.statusCode).toBe(401);
    expect(errorOf(madeUp).code).toBe('TOKEN_INVALID');
  });
});

describe('no way round the access layer', () => {
  it('refuses anonymous requests however the path is spelled', async () => {
    const code = await fileDirectly({ title: '绕行测试' });
    const requests: Array<[Method | 'HEAD', string]> = [
      ['HEAD', '/api/v1/items'],
      ['GET', '/api/v1/items/'],
      ['GET', '/api/v1//items'],
      ['GET', '/api/v1/%69tems'],
      ['GET', '/API/V1/items'],
      ['GET', '/api/v1/items?limit=1000'],
      ['GET', `${codeUrl(code)}`],
      ['GET', `${codeUrl(code)}/versions`],
      ['GET', `${codeUrl(code)}/files`],
      ['GET', '/api/v1/integrity/events'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/auth/tokens'],
      ['POST', '/api/v1/items'],
      ['PUT', '/api/v1/users/anyone/access'],
    ];
    for (const [method, url] of requests) {
      const response = await app.inject({ method, url });
      expect([401, 404], `${method} ${url}`).toContain(response.statusCode);
      expect(response.body).not.toContain(code);
    }
    // The impersonation header of old is gone: it is no credential.
    const claimed = await call('GET', '/api/v1/items', { 'x-yidang-actor': 'archivist-zhang' });
    expect(claimed.statusCode).toBe(401);
  });
});

describe('sign-in failures', () => {
  it('locks an account after five wrong passwords and then refuses even the right one', async () => {
    const user = await testUser(db(), { roles: ['clerk'] });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++)
      statuses.push((await login(user.username, 'Wrong-Passw0rd!')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const sixth = await login(user.username, 'Wrong-Passw0rd!');
    // Locked or unknown, the answer is the same: it must not tell whether the account exists.
    const unknown = await login('nobody-at-all', 'Wrong-Passw0rd!');
    expect(sixth.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(sixth.body).toBe(unknown.body);
    expect(errorOf(sixth)).toMatchObject({ code: 'SIGN_IN_FAILED', message: expect.stringMatching(/锁定/) });

    const right = await login(user.username);
    expect(right.statusCode).toBe(401);
    expect(right.body).toBe(unknown.body);
    expect(right.cookies.find((entry) => entry.name === SESSION_COOKIE)).toBeUndefined();
  });

  it('gives an unknown user and a wrong password the same answer', async () => {
    const user = await testUser(db(), { roles: ['clerk'] });
    const wrong = await login(user.username, 'Wrong-Passw0rd!');
    const unknown = await login('nobody-here', 'Wrong-Passw0rd!');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(errorOf(unknown)).toEqual(errorOf(wrong));
    expect(errorOf(wrong).code).toBe('SIGN_IN_FAILED');
  });

  it('asks an administrator for the second factor and takes each code only once', async () => {
    const admin = await testUser(db(), { roles: ['sysadmin'] });
    const secret = admin.totpSecret as string;
    expect(secret).toBeTruthy();
    const withoutCode = await login(admin.username);
    expect(withoutCode.statusCode).toBe(401);
    expect(errorOf(withoutCode).code).toBe('TOTP_REQUIRED');
    expect(withoutCode.cookies.find((entry) => entry.name === SESSION_COOKIE)).toBeUndefined();

    const code = totpCode(secret);
    const signedIn = await login(admin.username, TEST_PASSWORD, code);
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().user.roles).toEqual(['sysadmin']);
    const session = sessionFrom(signedIn);
    // An administrator does not read archive content.
    expect((await call('GET', '/api/v1/items', session.read)).statusCode).toBe(403);

    const replayed = await login(admin.username, TEST_PASSWORD, code);
    expect(replayed.statusCode).toBe(401);
    expect(errorOf(replayed).code).toBe('SIGN_IN_FAILED');
  });
});
