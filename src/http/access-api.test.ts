import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import { FONDS, reimbursement, validId } from '../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import type { ScopeRow } from '../modules/access/access.repo.js';
import { ADMIN_ROLES, type Permission, ROLE_PERMISSIONS, ROLES, type Role } from '../modules/access/roles.js';
import { totpCode } from '../modules/access/totp.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { countItems, fileItems } from '../modules/catalog/item.service.js';
import { type App, buildApp } from './app.js';
import { CSRF_HEADER, SESSION_COOKIE } from './auth.js';

// The access layer over HTTP on a real database: sign-in and sessions (cookie + CSRF token),
// lockout and the second factor, what every role may do to which item, hostile input, account
// administration and API tokens. The file and log routes need a blob store and a signing key, so the
// app is built over a whole test system (its database comes from openTestDatabase like any other).

let system: TestSystem;
let app: App;

const OTHER_FONDS = { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' };
/** The 参保人's own ID number, and somebody else's. */
const OWN_ID = validId('32011519850312123');
const OTHER_ID = validId('32011619900101123');
/** A business user's slice: fonds J013, 江宁区, the 费用结算 branch (JSLX lies in it). */
const BUSINESS_SCOPE: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  await createFonds(system.database.db, FONDS, 'test');
  await createFonds(system.database.db, OTHER_FONDS, 'test');
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const db = () => system.database.db;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Headers = Record<string, string>;

function call(method: Method, url: string, headers: Headers = {}, payload?: unknown) {
  return app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const codeUrl = (code: string) => `/api/v1/items/${encodeURIComponent(code)}`;
const errorOf = (response: LightMyRequestResponse) =>
  (response.json() as { error: { code: string; message: string } }).error;

function login(username: string, password = TEST_PASSWORD, totp?: string) {
  return call('POST', '/api/v1/auth/login', {}, { username, password, ...(totp ? { totp } : {}) });
}

interface Session {
  cookie: string;
  csrfToken: string;
  /** Headers for a read (cookie only). */
  read: Headers;
  /** Headers for a change (cookie and the CSRF token). */
  write: Headers;
}

function sessionFrom(response: LightMyRequestResponse): Session {
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((entry) => entry.name === SESSION_COOKIE);
  expect(cookie?.value).toBeTruthy();
  const csrfToken = (response.json() as { csrfToken: string }).csrfToken;
  const read = { cookie: `${SESSION_COOKIE}=${cookie?.value}` };
  return { cookie: cookie?.value as string, csrfToken, read, write: { ...read, [CSRF_HEADER]: csrfToken } };
}

async function signIn(username: string): Promise<Session> {
  return sessionFrom(await login(username));
}

async function fileDirectly(overrides: Record<string, unknown> = {}): Promise<string> {
  const [filed] = await fileItems(db(), [reimbursement(overrides)], 'test');
  return filed?.archiveCode as string;
}

function multipartFile(fileName: string, content = 'PDF') {
  const boundary = '----yidang-access-test';
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      `Content-Type: application/pdf\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

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

    const before = await countItems(db());
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
    expect(await countItems(db())).toBe(before);

    const filed = await call('POST', '/api/v1/items', session.write, reimbursement());
    expect(filed.statusCode).toBe(201);
    expect(filed.json().createdBy).toBe(clerk.username);
    expect(await countItems(db())).toBe(before + 1);
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
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    const sixth = await login(user.username, 'Wrong-Passw0rd!');
    expect([statuses[4], sixth.statusCode]).toContain(423);
    expect(sixth.statusCode).toBe(423);
    expect(errorOf(sixth).code).toBe('ACCOUNT_LOCKED');

    const right = await login(user.username);
    expect(right.statusCode).toBe(423);
    expect(errorOf(right)).toMatchObject({ code: 'ACCOUNT_LOCKED', message: expect.stringMatching(/锁定/) });
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

// ---- role × action × sensitivity × scope ------------------------------------------------------

/** Items that differ from the business scope in one part each, and the 参保人's own item elsewhere. */
const KINDS = [
  { kind: 'inside', facts: {}, inBusinessScope: true, ownId: true },
  { kind: 'other fonds', facts: { fonds: 'J014', idNumber: OTHER_ID }, inBusinessScope: false, ownId: false },
  {
    kind: 'other region',
    facts: { poolingRegion: '320116', idNumber: OTHER_ID },
    inBusinessScope: false,
    ownId: false,
  },
  {
    kind: 'other category',
    facts: { category: 'JGJH', extra: {}, idNumber: OTHER_ID },
    inBusinessScope: false,
    ownId: false,
  },
  { kind: 'own ID, other fonds', facts: { fonds: 'J014' }, inBusinessScope: false, ownId: true },
] as const;
const SENSITIVITIES = ['normal', 'sensitive'] as const;
const ALL_ROLES = Object.keys(ROLES) as Role[];

const can = (role: Role, permission: Permission) => ROLE_PERMISSIONS[role].includes(permission);

/** Business roles have BUSINESS_SCOPE, the 参保人 their ID number, administrators everything (and no content permission). */
function inScope(role: Role, kind: (typeof KINDS)[number]): boolean {
  if (role === 'insured') return kind.ownId;
  if (ADMIN_ROLES.includes(role)) return true;
  return kind.inBusinessScope;
}

interface Cell {
  read: number | string;
  listed: boolean | number | string;
  patch: number | string;
  file: number | string;
  files: number | string;
}

function expectedCell(role: Role, kind: (typeof KINDS)[number]): Cell {
  const inside = inScope(role, kind);
  const scoped = (permission: Permission, ok: number) => (!can(role, permission) ? 403 : inside ? ok : 404);
  return {
    read: scoped('item.read', 200),
    listed: can(role, 'item.read') ? inside : 403,
    patch: scoped('item.update', 200),
    // Filing out of scope is refused as invalid input (there is nothing to hide yet).
    file: !can(role, 'item.create') ? 403 : inside ? 201 : 400,
    files: scoped('file.read', 200),
  };
}

/** The status, when the error body is the one that status must carry; otherwise the status with what came instead. */
function outcome(response: LightMyRequestResponse, archiveCode?: string): number | string {
  const status = response.statusCode;
  if (status < 300) return status;
  const error = (response.json() as { error?: { code: string; message: string; issues?: unknown[] } }).error;
  const fits =
    (status === 403 && error?.code === 'FORBIDDEN') ||
    // Out of scope answers exactly like a 档号 that does not exist.
    (status === 404 && error?.code === 'ITEM_NOT_FOUND' && error.message === `档号“${archiveCode}”不存在`) ||
    (status === 400 && error?.code === 'VALIDATION_FAILED' && /授权范围/.test(JSON.stringify(error)));
  return fits ? status : `${status} ${error?.code}: ${error?.message}`;
}

describe('role × action × sensitivity × scope', () => {
  const users = new Map<Role, TestUser>();
  /** `${kind} · ${sensitivity}` → 档号. */
  const items = new Map<string, string>();
  const cellKey = (kind: string, sensitivity: string) => `${kind} · ${sensitivity}`;

  beforeAll(async () => {
    for (const { kind, facts } of KINDS)
      for (const sensitivity of SENSITIVITIES)
        items.set(cellKey(kind, sensitivity), await fileDirectly({ ...facts, sensitivity }));
    for (const role of ALL_ROLES) {
      const scope = role === 'insured' ? [] : ADMIN_ROLES.includes(role) ? ALL_SCOPE : BUSINESS_SCOPE;
      users.set(
        role,
        await testUser(db(), {
          roles: [role],
          scope,
          username: `matrix-${role}`,
          ...(role === 'insured' ? { idNumber: OWN_ID } : {}),
        }),
      );
    }
  });

  it('files the sensitive items as sensitive', async () => {
    const archivist = users.get('archivist') as TestUser;
    const shown = await call(
      'GET',
      codeUrl(items.get(cellKey('inside', 'sensitive')) as string),
      archivist.headers,
    );
    expect(shown.json().sensitivity).toBe('sensitive');
    const normal = await call(
      'GET',
      codeUrl(items.get(cellKey('inside', 'normal')) as string),
      archivist.headers,
    );
    expect(normal.json().sensitivity).toBe('normal');
  });

  it.each(ALL_ROLES)('%s: every cell answers as its permissions and scope say', async (role) => {
    const user = users.get(role) as TestUser;
    const expected: Record<string, Cell | number> = {
      'GET /integrity/events': can(role, 'integrity.read') ? 200 : 403,
      'GET /users': can(role, 'user.manage') ? 200 : 403,
    };
    const actual: Record<string, Cell | number | string> = {
      'GET /integrity/events': outcome(await call('GET', '/api/v1/integrity/events', user.headers)),
      'GET /users': outcome(await call('GET', '/api/v1/users', user.headers)),
    };

    const list = await call('GET', '/api/v1/items?limit=1000', user.headers);
    const listed =
      list.statusCode === 200
        ? new Set((list.json().items as Array<{ archiveCode: string }>).map((item) => item.archiveCode))
        : undefined;

    for (const kind of KINDS)
      for (const sensitivity of SENSITIVITIES) {
        const key = cellKey(kind.kind, sensitivity);
        const code = items.get(key) as string;
        expected[key] = expectedCell(role, kind);
        const patch = await call('PATCH', codeUrl(code), user.headers, {
          title: `${key} 由 ${user.username} 更正`,
          reason: '权限矩阵测试',
        });
        const filed = await call(
          'POST',
          '/api/v1/items',
          user.headers,
          reimbursement({ ...kind.facts, sensitivity, title: `${key} 由 ${user.username} 归档` }),
        );
        actual[key] = {
          read: outcome(await call('GET', codeUrl(code), user.headers), code),
          listed: listed ? listed.has(code) : outcome(list),
          patch: outcome(patch, code),
          file: outcome(filed),
          files: outcome(await call('GET', `${codeUrl(code)}/files`, user.headers), code),
        };
        if (filed.statusCode === 201)
          expect(filed.json()).toMatchObject({ createdBy: user.username, sensitivity });
        if (patch.statusCode === 200) expect(patch.json().updatedBy).toBe(user.username);
      }
    expect(actual).toEqual(expected);
  });

  it('records who read each sensitive item, by username', async () => {
    const auditor = users.get('auditor') as TestUser;
    for (const kind of KINDS) {
      const code = items.get(cellKey(kind.kind, 'sensitive')) as string;
      const events = await call(
        'GET',
        `/api/v1/integrity/events?action=item.read&limit=1000&subject=${encodeURIComponent(`item:${code}`)}`,
        auditor.headers,
      );
      expect(events.statusCode).toBe(200);
      const readers = new Set((events.json().events as Array<{ actor: string }>).map((event) => event.actor));
      const expectedReaders = ALL_ROLES.filter((role) => can(role, 'item.read') && inScope(role, kind)).map(
        (role) => `matrix-${role}`,
      );
      expect([...readers].sort(), kind.kind).toEqual(expectedReaders.sort());
    }
    // A normal item's reads are not logged one by one.
    const normal = items.get(cellKey('inside', 'normal')) as string;
    const quiet = await call(
      'GET',
      `/api/v1/integrity/events?action=item.read&subject=${encodeURIComponent(`item:${normal}`)}`,
      auditor.headers,
    );
    expect(quiet.json().events).toEqual([]);
  });
});

// ---- hostile input ------------------------------------------------------------------------------

describe('hostile input', () => {
  let clerk: TestUser;
  let insideCode: string;
  let outsideCode: string;
  beforeAll(async () => {
    clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
    insideCode = await fileDirectly({ title: '注入测试 范围内' });
    outsideCode = await fileDirectly({ fonds: 'J014', idNumber: OTHER_ID, title: '注入测试 范围外' });
  });

  const INJECTIONS = [
    "x' or '1'='1",
    "J013' OR 1=1 --",
    "'; drop table archive_item; --",
    "' union select * from app_user --",
    '1 or 1=1',
    '%',
    '*',
  ];

  it('refuses injection-looking list filters and never widens the list', async () => {
    const inScopeOnly = (
      items: Array<{ archiveCode: string; fonds: string; poolingRegion: string | null }>,
    ) => items.every((item) => item.fonds === 'J013' && item.poolingRegion === '320115');
    for (const parameter of ['fonds', 'category', 'year', 'cursor', 'limit']) {
      for (const value of INJECTIONS) {
        const response = await call(
          'GET',
          `/api/v1/items?${parameter}=${encodeURIComponent(value)}`,
          clerk.headers,
        );
        const label = `${parameter}=${value}`;
        if (value.length > 4 || parameter !== 'fonds')
          expect([400, 404], label).toContain(response.statusCode);
        else {
          // A short string fits the fonds code's length and simply names no fonds.
          expect([200, 400, 404], label).toContain(response.statusCode);
          if (response.statusCode === 200) expect(response.json().items, label).toEqual([]);
        }
        expect(response.body, label).not.toContain(outsideCode);
        expect(response.body, label).not.toContain(insideCode);
      }
    }
    // The same parameter twice is not a way round the filter or the scope.
    const twice = await call('GET', '/api/v1/items?fonds=J013&fonds=J014&limit=1000', clerk.headers);
    expect(twice.body).not.toContain(outsideCode);
    const otherFonds = await call('GET', '/api/v1/items?fonds=J014&limit=1000', clerk.headers);
    expect(otherFonds.statusCode).toBe(200);
    expect(otherFonds.json().items).toEqual([]);
    const all = await call('GET', '/api/v1/items?limit=1000', clerk.headers);
    expect(all.statusCode).toBe(200);
    expect(inScopeOnly(all.json().items)).toBe(true);
    expect(all.body).toContain(insideCode);
    expect(all.body).not.toContain(outsideCode);
  });

  it('answers 404 for injection-looking 档号 in paths', async () => {
    for (const value of [...INJECTIONS, `${insideCode.slice(0, 6)}%`, `${outsideCode}' or '1'='1`]) {
      for (const suffix of ['', '/versions', '/files']) {
        const response = await call('GET', `${codeUrl(value)}${suffix}`, clerk.headers);
        expect(response.statusCode, `${value}${suffix}`).toBe(404);
        expect(errorOf(response).code).toBe('ITEM_NOT_FOUND');
        expect(response.body).not.toContain(insideCode);
      }
    }
    const archivist = await testUser(db(), { roles: ['archivist'], scope: BUSINESS_SCOPE });
    const patched = await call('PATCH', codeUrl("x' or '1'='1"), archivist.headers, {
      title: '改',
      reason: '注入',
    });
    expect(patched.statusCode).toBe(404);
    const versions = await call('GET', `${codeUrl(insideCode)}/versions`, archivist.headers);
    expect(versions.json().versions).toHaveLength(1);
  });

  it("refuses an edit that would move an item out of the editor's scope", async () => {
    const archivist = await testUser(db(), { roles: ['archivist'], scope: BUSINESS_SCOPE });
    const moved = await call('PATCH', codeUrl(insideCode), archivist.headers, {
      poolingRegion: '320116',
      reason: '移出范围',
    });
    expect(moved.statusCode).toBe(400);
    expect(JSON.stringify(moved.json())).toMatch(/授权范围/);
    const shown = await call('GET', codeUrl(insideCode), archivist.headers);
    expect(shown.json()).toMatchObject({ poolingRegion: '320115', version: 1 });
  });

  it('refuses injection-looking usernames at sign-in like any unknown user', async () => {
    const reference = errorOf(await login('nobody-at-all', 'Wrong-Passw0rd!'));
    for (const username of [
      "admin' --",
      "' OR '1'='1",
      `${clerk.username}' --`,
      `${clerk.username}' or '1'='1`,
    ]) {
      const response = await login(username, "' OR '1'='1");
      expect(response.statusCode, username).toBe(401);
      expect(errorOf(response)).toEqual(reference);
      expect(response.cookies).toEqual([]);
    }
  });

  it('refuses a 40 MB body with 413 (and an anonymous one before reading it)', async () => {
    const huge = JSON.stringify(reimbursement({ title: 'x'.repeat(40 * 1024 * 1024) }));
    const before = await countItems(db());
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: huge,
      headers: { ...clerk.headers, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(413);
    expect(errorOf(response).code).toBe('BODY_TOO_LARGE');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: huge,
      headers: { 'content-type': 'application/json' },
    });
    expect(anonymous.statusCode).toBe(401);
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: JSON.stringify({ username: clerk.username, password: 'x'.repeat(40 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(signIn.statusCode).toBe(413);
    expect(await countItems(db())).toBe(before);
  });

  it('refuses path tricks in uploaded file names', async () => {
    for (const name of [
      '../x.pdf',
      '..\\x.pdf',
      'a/../../x.pdf',
      '/etc/passwd',
      '..',
      'C:\\Windows\\x.pdf',
    ]) {
      const { payload, contentType } = multipartFile(name);
      const response = await app.inject({
        method: 'POST',
        url: `${codeUrl(insideCode)}/files`,
        payload,
        headers: { ...clerk.headers, 'content-type': contentType },
      });
      expect(response.statusCode, name).toBe(400);
      expect(errorOf(response).code, name).toBe('FILE_NAME_INVALID');
    }
    const files = await call('GET', `${codeUrl(insideCode)}/files`, clerk.headers);
    expect(files.json().files).toEqual([]);
    const { payload, contentType } = multipartFile('门诊发票.pdf');
    const good = await app.inject({
      method: 'POST',
      url: `${codeUrl(insideCode)}/files`,
      payload,
      headers: { ...clerk.headers, 'content-type': contentType },
    });
    expect(good.statusCode).toBe(201);
    expect(good.json()).toMatchObject({ fileName: '门诊发票.pdf', addedBy: clerk.username });
  });
});

// ---- account administration -------------------------------------------------------------------

describe('user administration', () => {
  let sysadmin: TestUser;
  let secadmin: TestUser;
  let auditor: TestUser;
  beforeAll(async () => {
    sysadmin = await testUser(db(), { roles: ['sysadmin'] });
    secadmin = await testUser(db(), { roles: ['secadmin'] });
    auditor = await testUser(db(), { roles: ['auditor'] });
  });

  it('creates an account with no roles, which can do nothing until the security administrator grants it', async () => {
    const created = await call('POST', '/api/v1/users', sysadmin.headers, {
      username: 'newcomer-li',
      displayName: '李新',
      password: TEST_PASSWORD,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      username: 'newcomer-li',
      roles: [],
      scope: [],
      createdBy: sysadmin.username,
    });
    const duplicate = await call('POST', '/api/v1/users', sysadmin.headers, {
      username: 'newcomer-li',
      password: TEST_PASSWORD,
    });
    expect(duplicate.statusCode).toBe(409);

    const session = await signIn('newcomer-li');
    expect((await call('GET', '/api/v1/auth/me', session.read)).json()).toMatchObject({
      roles: [],
      permissions: [],
    });
    const nothing = await call('GET', '/api/v1/items', session.read);
    expect(nothing.statusCode).toBe(403);
    expect(errorOf(nothing).code).toBe('FORBIDDEN');
    const noToken = await call('POST', '/api/v1/auth/tokens', session.write, {
      name: 'x',
      permissions: ['item.read'],
      days: 1,
    });
    expect(noToken.statusCode).toBe(403);

    const granted = await call('PUT', '/api/v1/users/newcomer-li/access', secadmin.headers, {
      roles: ['clerk'],
      scope: [{ fonds: 'J013', region: '320115', category: 'JS' }],
    });
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toMatchObject({
      roles: ['clerk'],
      scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }],
    });
    // The open session takes the grant at once.
    const outside = await fileDirectly({ fonds: 'J014', idNumber: OTHER_ID, title: '授权测试 范围外' });
    const inside = await fileDirectly({ title: '授权测试 范围内' });
    const list = await call('GET', '/api/v1/items?limit=1000', session.read);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(inside);
    expect(list.body).not.toContain(outside);
    expect((await call('GET', codeUrl(outside), session.read)).statusCode).toBe(404);
  });

  it('keeps the duties apart: only the security administrator grants, never an administrative role', async () => {
    await call('POST', '/api/v1/users', sysadmin.headers, {
      username: 'newcomer-wu',
      password: TEST_PASSWORD,
    });
    const bySysadmin = await call('PUT', '/api/v1/users/newcomer-wu/access', sysadmin.headers, {
      roles: ['clerk'],
      scope: [{ fonds: 'J013' }],
    });
    expect(bySysadmin.statusCode).toBe(403);
    expect(errorOf(bySysadmin).code).toBe('FORBIDDEN');
    const bySecadmin = await call('POST', '/api/v1/users', secadmin.headers, {
      username: 'newcomer-zhao',
      password: TEST_PASSWORD,
    });
    expect(bySecadmin.statusCode).toBe(403);

    for (const role of ADMIN_ROLES) {
      const admin = await call('PUT', '/api/v1/users/newcomer-wu/access', secadmin.headers, {
        roles: [role],
        scope: [],
      });
      expect(admin.statusCode, role).toBe(400);
      expect(errorOf(admin).code, role).toBe('ADMIN_ROLE_SERVER_ONLY');
    }
    // Nor can an administrator's account be stripped (or the secadmin widen itself) through the API.
    for (const target of [sysadmin.username, secadmin.username]) {
      const strip = await call('PUT', `/api/v1/users/${target}/access`, secadmin.headers, {
        roles: ['clerk'],
        scope: [],
      });
      expect(strip.statusCode, target).toBe(400);
      expect(errorOf(strip).code).toBe('ADMIN_ROLE_SERVER_ONLY');
    }
    const unknownFonds = await call('PUT', '/api/v1/users/newcomer-wu/access', secadmin.headers, {
      roles: ['clerk'],
      scope: [{ fonds: 'Z999' }],
    });
    expect(unknownFonds.statusCode).toBe(400);
    const users = await call('GET', '/api/v1/users', sysadmin.headers);
    expect(users.statusCode).toBe(200);
    expect(
      users.json().users.find((user: { username: string }) => user.username === 'newcomer-wu').roles,
    ).toEqual([]);
    expect(users.body).not.toMatch(/passwordHash|password_hash|totpSecret|scrypt\$/);
  });

  it('lets the auditor read the log but not the archives', async () => {
    const code = await fileDirectly({ title: '审计员测试' });
    const events = await call('GET', '/api/v1/integrity/events', auditor.headers);
    expect(events.statusCode).toBe(200);
    expect(events.json().events.length).toBeGreaterThan(0);
    for (const url of ['/api/v1/items', codeUrl(code), `${codeUrl(code)}/files`]) {
      const response = await call('GET', url, auditor.headers);
      expect(response.statusCode, url).toBe(403);
      expect(errorOf(response).code).toBe('FORBIDDEN');
    }
  });

  it('shuts a disabled account out of its sessions and tokens, and records the username as actor', async () => {
    const clerk = await testUser(db(), { roles: ['clerk'] });
    const session = await signIn(clerk.username);
    const disabled = await call('POST', `/api/v1/users/${clerk.username}/disable`, sysadmin.headers);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().disabled).toBe(true);
    expect((await call('GET', '/api/v1/items', clerk.headers)).statusCode).toBe(401);
    expect((await call('GET', '/api/v1/items', session.read)).statusCode).toBe(401);
    expect(errorOf(await login(clerk.username)).code).toBe('SIGN_IN_FAILED');

    const trail = await call(
      'GET',
      `/api/v1/integrity/events?action=user.disabled&subject=${encodeURIComponent(`user:${clerk.username}`)}`,
      auditor.headers,
    );
    expect(trail.json().events[0]).toMatchObject({ actor: sysadmin.username });

    const enabled = await call('POST', `/api/v1/users/${clerk.username}/enable`, sysadmin.headers);
    expect(enabled.statusCode).toBe(200);
    // Disabling revoked the account's tokens for good; a fresh sign-in works again.
    expect((await call('GET', '/api/v1/items', clerk.headers)).statusCode).toBe(401);
    const fresh = await signIn(clerk.username);
    expect((await call('GET', '/api/v1/items', fresh.read)).statusCode).toBe(200);
  });

  it('does not bring back the sessions of a disabled account when it is enabled again', async () => {
    const clerk = await testUser(db(), { roles: ['clerk'] });
    const before = await signIn(clerk.username);
    const userUrl = `/api/v1/users/${clerk.username}`;
    expect((await call('POST', `${userUrl}/disable`, sysadmin.headers)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', before.read)).statusCode).toBe(401);
    expect((await call('POST', `${userUrl}/enable`, sysadmin.headers)).statusCode).toBe(200);
    // Disabling ended the sessions: enabling the account again does not revive them.
    expect((await call('GET', '/api/v1/auth/me', before.read)).statusCode).toBe(401);
  });

  it('applies a changed grant at once, to API tokens too', async () => {
    const clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
    const code = await fileDirectly({ title: '授权变更测试' });
    expect((await call('GET', codeUrl(code), clerk.headers)).statusCode).toBe(200);
    const narrowed = await call('PUT', `/api/v1/users/${clerk.username}/access`, secadmin.headers, {
      roles: ['reviewer'],
      scope: [{ fonds: 'J014' }],
    });
    expect(narrowed.statusCode).toBe(200);
    // The token was made with the clerk's permissions; it keeps only what the account still has.
    expect((await call('POST', '/api/v1/items', clerk.headers, reimbursement())).statusCode).toBe(403);
    expect((await call('GET', codeUrl(code), clerk.headers)).statusCode).toBe(404);
  });
});

// ---- API tokens ---------------------------------------------------------------------------------

describe('API tokens', () => {
  let clerk: TestUser;
  beforeAll(async () => {
    clerk = await testUser(db(), { roles: ['clerk'] });
  });

  const createToken = (headers: Headers, permissions: string[]) =>
    call('POST', '/api/v1/auth/tokens', headers, { name: '医保业务系统', permissions, days: 30 });

  it('refuses a token with permissions beyond the role, or unknown ones', async () => {
    for (const permissions of [['item.create', 'item.update'], ['user.manage'], ['integrity.read']]) {
      const response = await createToken(clerk.headers, permissions);
      expect(response.statusCode, permissions.join()).toBe(400);
      expect(errorOf(response).code).toBe('PERMISSION_BEYOND_ROLE');
    }
    const unknown = await createToken(clerk.headers, ['item.delete']);
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown).code).toBe('PERMISSION_UNKNOWN');
  });

  it('limits a token to its permissions, and a revoked token is refused', async () => {
    const created = await createToken(clerk.headers, ['item.create']);
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json() as { token: string; id: string };
    expect(token).toMatch(/^ydt_/);
    const headers = { authorization: `Bearer ${token}` };

    const filed = await call('POST', '/api/v1/items', headers, reimbursement({ title: '令牌归档' }));
    expect(filed.statusCode).toBe(201);
    expect(filed.json().createdBy).toBe(clerk.username);
    const list = await call('GET', '/api/v1/items', headers);
    expect(list.statusCode).toBe(403);
    expect(errorOf(list).code).toBe('FORBIDDEN');
    expect((await call('GET', codeUrl(filed.json().archiveCode), headers)).statusCode).toBe(403);
    // Without token.own it cannot mint tokens either.
    expect((await createToken(headers, ['item.create'])).statusCode).toBe(403);

    const listed = await call('GET', '/api/v1/auth/tokens', clerk.headers);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().tokens.find((entry: { id: string }) => entry.id === id)).toMatchObject({
      permissions: ['item.create'],
      revokedAt: null,
    });
    expect(listed.body).not.toContain(token.split('_')[2]);

    const stranger = await testUser(db(), { roles: ['clerk'] });
    const foreign = await call('DELETE', `/api/v1/auth/tokens/${id}`, stranger.headers);
    expect(foreign.statusCode).toBe(404);
    expect(
      (await call('POST', '/api/v1/items', headers, reimbursement({ title: '令牌仍有效' }))).statusCode,
    ).toBe(201);

    const revoked = await call('DELETE', `/api/v1/auth/tokens/${id}`, clerk.headers);
    expect(revoked.statusCode).toBe(200);
    const refused = await call('POST', '/api/v1/items', headers, reimbursement({ title: '撤销后' }));
    expect(refused.statusCode).toBe(401);
    expect(errorOf(refused).code).toBe('TOKEN_INVALID');
    expect((await call('DELETE', `/api/v1/auth/tokens/${id}`, clerk.headers)).statusCode).toBe(404);
  });

  it('records the token owner as the actor, whatever X-Yidang-Actor claims', async () => {
    const filed = await call(
      'POST',
      '/api/v1/items',
      { ...clerk.headers, 'x-yidang-actor': '冒充的档案员' },
      reimbursement({ title: '冒充测试' }),
    );
    expect(filed.statusCode).toBe(201);
    expect(filed.json().createdBy).toBe(clerk.username);
    const auditor = await testUser(db(), { roles: ['auditor'] });
    const subject = encodeURIComponent(`item:${filed.json().archiveCode}`);
    const events = await call('GET', `/api/v1/integrity/events?subject=${subject}`, auditor.headers);
    expect(events.json().events.map((event: { actor: string }) => event.actor)).toEqual([clerk.username]);
  });

  it('does not let a narrow token mint a wider one', async () => {
    const narrow = await createToken(clerk.headers, ['token.own', 'item.create']);
    expect(narrow.statusCode).toBe(201);
    const headers = { authorization: `Bearer ${narrow.json().token}` };
    expect((await call('GET', '/api/v1/items', headers)).statusCode).toBe(403);
    const wider = await createToken(headers, ['item.read', 'file.read']);
    // A narrow token cannot mint a wider one.
    expect(wider.statusCode).toBe(400);
    expect(wider.json().error.code).toBe('PERMISSION_BEYOND_ROLE');
  });
});
