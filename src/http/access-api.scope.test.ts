import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  app,
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  errorOf,
  fileDirectly,
  login,
  multipartFile,
  OTHER_ID,
  OWN_ID,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { ADMIN_ROLES, type Permission, ROLE_PERMISSIONS, ROLES, type Role } from '../modules/access/roles.js';
import { countItems } from '../modules/catalog/item.service.js';

// The access layer over HTTP on a real database, part 2: what every role may do to which item
// (role × action × sensitivity × scope), and hostile input. The shared set-up is in
// test/helpers/access-api.ts; the other parts are access-api.sign-in.test.ts and access-api.accounts.test.ts.

useAccessApi();

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
