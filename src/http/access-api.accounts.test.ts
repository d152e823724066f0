// test-engine: either
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  errorOf,
  fileDirectly,
  type Headers,
  login,
  OTHER_ID,
  signIn,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { ADMIN_ROLES } from '../modules/access/roles.js';

// The access layer over HTTP on a real database, part 3: account administration and API tokens.
// The shared set-up is in test/helpers/access-api.ts; the other parts are access-api.sign-in.test.ts
// and access-api.scope.test.ts.

useAccessApi();

// ---- account administration -------------------------------------------------------------------

const NEWCOMER_PASSWORD = 'Newcomer-Own-Choice-7!';

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
    // The password is the system administrator's choice: its owner changes it before anything else.
    const first = await call('GET', '/api/v1/items', session.read);
    expect(first.statusCode).toBe(403);
    expect(errorOf(first).code).toBe('PASSWORD_CHANGE_REQUIRED');
    const changed = await call('POST', '/api/v1/auth/password', session.write, {
      currentPassword: TEST_PASSWORD,
      newPassword: NEWCOMER_PASSWORD,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', session.read)).json()).toMatchObject({
      roles: [],
      permissions: [],
      mustChangePassword: false,
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
    // A form sends null for "any"; it must not arrive as an empty code.
    const nulls = await call('PUT', '/api/v1/users/newcomer-li/access', secadmin.headers, {
      roles: ['clerk'],
      scope: [{ fonds: 'J013', region: null, category: null }],
    });
    expect(nulls.statusCode).toBe(200);
    expect(nulls.json().scope).toEqual([{ fondsCode: 'J013', regionCode: null, categoryCode: null }]);
    await call('PUT', '/api/v1/users/newcomer-li/access', secadmin.headers, {
      roles: ['clerk'],
      scope: [{ fonds: 'J013', region: '320115', category: 'JS' }],
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
    // The secret is everything after the id (it may itself contain an underscore).
    const secret = /^ydt_[0-9a-f]{16}_(.{43})$/.exec(token)?.[1];
    expect(secret).toHaveLength(43);
    expect(listed.body).not.toContain(secret);

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
