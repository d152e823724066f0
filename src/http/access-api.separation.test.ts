// test-engine: either
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, TEST_PASSWORD, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  errorOf,
  fileDirectly,
  login,
  sessionFrom,
  signIn,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { createApiToken } from '../modules/access/session.service.js';
import { totpCode } from '../modules/access/totp.js';
import { changePassword, createUser, setDisabled } from '../modules/access/user.service.js';
import { getItem } from '../modules/catalog/item.service.js';

// 三员分立 that holds (issue 21), over HTTP on a real database: a 安全保密员 grants only within their
// own scope; a password someone else chose is changed by its owner before anything else (and an
// administrator's second factor re-enrolled); none of the three shuts out another; lowering an
// item's sensitivity or 密级 is the 安全保密员's decision; and sign-in never tells who exists.

useAccessApi();

const OWN_PASSWORD = 'Owner-Chosen-Passw0rd!';
const J013_ONLY = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
const put = (who: TestUser, username: string, body: unknown) =>
  call('PUT', `/api/v1/users/${username}/access`, who.headers, body);

describe('granting within the granter’s own scope', () => {
  let scoped: TestUser;
  let unbounded: TestUser;
  beforeAll(async () => {
    scoped = await testUser(db(), { roles: ['secadmin'], scope: J013_ONLY });
    unbounded = await testUser(db(), { roles: ['secadmin'], scope: ALL_SCOPE });
    for (const username of ['grantee-a', 'grantee-b'])
      await createUser(db(), { username, password: TEST_PASSWORD, roles: [] }, 'test');
  });

  it('refuses an empty scope row, to any granter, as a clear 400', async () => {
    for (const who of [scoped, unbounded])
      for (const row of [{}, { fonds: null, region: null, category: null }]) {
        const response = await put(who, 'grantee-a', { roles: ['clerk'], scope: [row] });
        expect(response.statusCode, JSON.stringify(row)).toBe(400);
        expect(errorOf(response).message).toMatch(/没有任何条件/);
      }
  });

  it('refuses a scoped 安全保密员 anything beyond its own scope, whatever the part', async () => {
    for (const row of [
      { fonds: '*' },
      { fonds: 'J014' },
      { region: '320115' },
      { category: 'JS' },
      { fonds: 'J014', region: '320116', category: 'JS' },
    ]) {
      const response = await put(scoped, 'grantee-a', { roles: ['clerk'], scope: [{ fonds: 'J013' }, row] });
      expect(response.statusCode, JSON.stringify(row)).toBe(403);
      expect(errorOf(response).code).toBe('SCOPE_BEYOND_GRANTER');
    }
    const users = (await call('GET', '/api/v1/users', scoped.headers)).json().users as Array<{
      username: string;
      roles: string[];
    }>;
    expect(users.find((user) => user.username === 'grantee-a')?.roles).toEqual([]);
  });

  it('lets it grant inside its own scope, narrower by region or category branch', async () => {
    const response = await put(scoped, 'grantee-a', {
      roles: ['clerk'],
      scope: [{ fonds: 'J013', region: '320115', category: 'JS' }, { fonds: 'J013' }],
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toEqual([
      { fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' },
      { fondsCode: 'J013', regionCode: null, categoryCode: null },
    ]);
  });

  it('keeps a region or category granter within its prefix and branch', async () => {
    const regional = await testUser(db(), {
      roles: ['secadmin'],
      scope: [{ fondsCode: 'J013', regionCode: '320100', categoryCode: 'JS' }],
    });
    const inside = await put(regional, 'grantee-b', {
      roles: ['clerk'],
      scope: [{ fonds: 'J013', region: '320115', category: 'JSLX' }],
    });
    expect(inside.statusCode, inside.body).toBe(200);
    for (const row of [
      { fonds: 'J013', region: '320000', category: 'JS' },
      { fonds: 'J013', region: '320115', category: 'JGJH' },
      { fonds: 'J013', category: 'JSLX' },
    ]) {
      const response = await put(regional, 'grantee-b', { roles: ['clerk'], scope: [row] });
      expect(response.statusCode, JSON.stringify(row)).toBe(403);
    }
  });

  it('does not let it change an account whose scope lies outside its own, and "*" is everything for the unbounded', async () => {
    const widened = await put(unbounded, 'grantee-a', { roles: ['clerk'], scope: [{ fonds: 'J014' }] });
    expect(widened.statusCode).toBe(200);
    const taken = await put(scoped, 'grantee-a', { roles: ['clerk'], scope: [{ fonds: 'J013' }] });
    expect(taken.statusCode).toBe(403);
    expect(errorOf(taken).code).toBe('ACCOUNT_OUTSIDE_SCOPE');
    const everything = await put(unbounded, 'grantee-a', { roles: ['clerk'], scope: [{ fonds: '*' }] });
    expect(everything.statusCode).toBe(200);
    expect(everything.json().scope).toEqual(ALL_SCOPE);
  });
});

describe('a password someone else chose', () => {
  let sysadmin: TestUser;
  let secadmin: TestUser;
  beforeAll(async () => {
    sysadmin = await testUser(db(), { roles: ['sysadmin'] });
    secadmin = await testUser(db(), { roles: ['secadmin'] });
  });

  it('allows nothing but changing it, /me and sign-out, until the owner has changed it', async () => {
    const created = await call('POST', '/api/v1/users', sysadmin.headers, {
      username: 'first-login',
      password: TEST_PASSWORD,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().mustChangePassword).toBe(true);
    const grant = await put(secadmin, 'first-login', { roles: ['archivist'], scope: [{ fonds: 'J013' }] });
    expect(grant.statusCode).toBe(200);
    const code = await fileDirectly({ title: '首次登录测试' });

    // The system administrator knows the password, and signs in with it: nothing opens.
    const session = await signIn('first-login');
    const other = await signIn('first-login');
    const me = await call('GET', '/api/v1/auth/me', session.read);
    expect(me.json()).toMatchObject({ mustChangePassword: true, mustEnrolTotp: false, roles: ['archivist'] });
    const refused = [
      ['GET', '/api/v1/items'],
      ['GET', codeUrl(code)],
      ['GET', `/api/v1/search?q=${encodeURIComponent('首次登录测试')}`],
      ['GET', '/api/v1/auth/tokens'],
      ['POST', '/api/v1/auth/totp/new'],
      ['POST', '/api/v1/items'],
    ] as const;
    for (const [method, url] of refused) {
      const response = await call(method, url, session.write, method === 'POST' ? {} : undefined);
      expect(response.statusCode, url).toBe(403);
      expect(errorOf(response)).toMatchObject({
        code: 'PASSWORD_CHANGE_REQUIRED',
        message: expect.stringMatching(/修改口令/),
      });
    }

    const change = (currentPassword: string, newPassword: string) =>
      call('POST', '/api/v1/auth/password', session.write, { currentPassword, newPassword });
    expect(errorOf(await change('Not-The-Passw0rd!', OWN_PASSWORD)).code).toBe('PASSWORD_WRONG');
    expect(errorOf(await change(TEST_PASSWORD, TEST_PASSWORD)).code).toBe('PASSWORD_UNCHANGED');
    expect(errorOf(await change(TEST_PASSWORD, 'short')).code).toBe('PASSWORD_WEAK');
    expect((await change(TEST_PASSWORD, OWN_PASSWORD)).statusCode).toBe(200);

    // This session goes on with the new password in force; every other one has ended.
    expect((await call('GET', codeUrl(code), session.read)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', other.read)).statusCode).toBe(401);
    expect((await login('first-login')).statusCode).toBe(401);
    expect((await login('first-login', OWN_PASSWORD)).statusCode).toBe(200);
    const events = await db()
      .selectFrom('integrity_event')
      .select(['actor', 'payload'])
      .where('action', '=', 'user.password_changed')
      .where('subject', '=', 'user:first-login')
      .execute();
    expect(events).toHaveLength(1);
    expect({ actor: events[0]?.actor, ...JSON.parse(events[0]?.payload ?? '{}') }).toMatchObject({
      actor: 'first-login',
      byOwner: true,
    });
  });

  it('applies again after a reset on the server, and keeps the logout and a token working', async () => {
    await changePassword(db(), 'first-login', 'Reset-By-Admin-2026!', 'root');
    const { token } = await createApiToken(
      db(),
      { username: 'first-login', name: '业务系统', permissions: ['item.read'], days: 1 },
      'root',
    );
    const session = sessionFrom(await login('first-login', 'Reset-By-Admin-2026!'));
    expect(errorOf(await call('GET', '/api/v1/items', session.read)).code).toBe('PASSWORD_CHANGE_REQUIRED');
    // A business system's token is not a sign-in: it keeps working (see README on tokens).
    expect((await call('GET', '/api/v1/items', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await call('POST', '/api/v1/auth/logout', session.write)).statusCode).toBe(200);
  });

  it('makes an administrator re-enrol the second factor whose secret its creator saw', async () => {
    // As `yidang user add --role auditor` does: the operator sees the password and the secret.
    const created = await createUser(
      db(),
      { username: 'new-auditor', password: TEST_PASSWORD, roles: ['auditor'] },
      'root',
    );
    const creatorSecret = created.totpSecret as string;
    const session = sessionFrom(await login('new-auditor', TEST_PASSWORD, totpCode(creatorSecret)));
    const change = await call('POST', '/api/v1/auth/password', session.write, {
      currentPassword: TEST_PASSWORD,
      newPassword: OWN_PASSWORD,
    });
    expect(change.statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', session.read)).json()).toMatchObject({
      mustChangePassword: false,
      mustEnrolTotp: true,
    });
    const events = await call('GET', '/api/v1/integrity/events', session.read);
    expect(events.statusCode).toBe(403);
    expect(errorOf(events).code).toBe('TOTP_ENROLMENT_REQUIRED');

    const enrolment = await call('POST', '/api/v1/auth/totp/new', session.write);
    expect(enrolment.statusCode).toBe(200);
    const { secret } = enrolment.json() as { secret: string };
    const confirmed = await call('POST', '/api/v1/auth/totp', session.write, {
      secret,
      code: totpCode(secret),
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect((await call('GET', '/api/v1/integrity/events', session.read)).statusCode).toBe(200);

    // The creator's secret is no longer in force; the owner's is.
    const later = Date.now() + 30_000;
    const stale = await login('new-auditor', OWN_PASSWORD, totpCode(creatorSecret, later));
    expect(stale.statusCode).toBe(401);
    expect((await login('new-auditor', OWN_PASSWORD, totpCode(secret, later))).statusCode).toBe(200);
  });
});

describe('disabling accounts', () => {
  let sysadmin: TestUser;
  let auditor: TestUser;
  beforeAll(async () => {
    sysadmin = await testUser(db(), { roles: ['sysadmin'] });
    auditor = await testUser(db(), { roles: ['auditor'] });
  });
  const disable = (username: string, action = 'disable') =>
    call('POST', `/api/v1/users/${username}/${action}`, sysadmin.headers);

  it('keeps the three administrators’ accounts and the caller’s own out of reach of the API', async () => {
    const secadmin = await testUser(db(), { roles: ['secadmin'] });
    const other = await testUser(db(), { roles: ['sysadmin'] });
    for (const target of [auditor.username, secadmin.username, other.username]) {
      for (const action of ['disable', 'enable']) {
        const response = await disable(target, action);
        expect(response.statusCode, `${action} ${target}`).toBe(403);
        expect(errorOf(response).code).toBe('ADMIN_ACCOUNT_SERVER_ONLY');
      }
    }
    const self = await disable(sysadmin.username);
    expect(self.statusCode).toBe(403);
    expect(errorOf(self).code).toBe('SELF_DISABLE');
    const clerk = await testUser(db(), { roles: ['clerk'] });
    expect((await disable(clerk.username)).statusCode).toBe(200);
    expect((await disable(clerk.username, 'enable')).statusCode).toBe(200);
  });

  it('lets the server’s shell disable one of the three, but never the last of a kind', async () => {
    // Other auditors made by this file's earlier tests go first, leaving `auditor` the only one.
    const others = await db()
      .selectFrom('user_role')
      .innerJoin('app_user', 'app_user.id', 'user_role.user_id')
      .select('app_user.username')
      .where('user_role.role', '=', 'auditor')
      .where('app_user.disabled', '=', false)
      .where('app_user.username', '<>', auditor.username)
      .execute();
    for (const { username } of others) await setDisabled(db(), username, true, 'root', { fromServer: true });
    const refused = setDisabled(db(), auditor.username, true, 'root', { fromServer: true });
    await expect(refused).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    const second = await testUser(db(), { roles: ['auditor'] });
    await setDisabled(db(), auditor.username, true, 'root', { fromServer: true });
    await expect(
      setDisabled(db(), second.username, true, 'root', { fromServer: true }),
    ).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    });
    await setDisabled(db(), auditor.username, false, 'root', { fromServer: true });
    expect((await call('GET', '/api/v1/integrity/events?limit=1', auditor.headers)).statusCode).toBe(401);
  });
});

describe('lowering sensitivity or 密级', () => {
  let archivist: TestUser;
  let secadmin: TestUser;
  let clerk: TestUser;
  beforeAll(async () => {
    archivist = await testUser(db(), { roles: ['archivist'], scope: BUSINESS_SCOPE });
    secadmin = await testUser(db(), { roles: ['secadmin'], scope: J013_ONLY });
    clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
  });

  /** The archivist's approved request for an item, as the probe had it. */
  async function grantFor(code: string) {
    const asked = await call('POST', '/api/v1/access-requests', archivist.headers, {
      items: [code],
      purpose: '核对报销材料',
      hours: 4,
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const approved = await call(
      'POST',
      `/api/v1/access-requests/${asked.json().id}/approve`,
      secadmin.headers,
      {},
    );
    expect(approved.statusCode, approved.body).toBe(200);
  }
  const patch = (code: string, body: object) => call('PATCH', codeUrl(code), archivist.headers, body);

  it('refuses an editor who lowers either, even under a read grant, and lets them raise', async () => {
    const restricted = await fileDirectly({ title: '降密测试 限制', sensitivity: 'restricted' });
    await grantFor(restricted);
    for (const sensitivity of ['normal', 'sensitive']) {
      const response = await patch(restricted, { sensitivity, reason: '误标' });
      expect(response.statusCode, sensitivity).toBe(403);
      expect(errorOf(response)).toMatchObject({
        code: 'DECLASSIFY_FORBIDDEN',
        message: expect.stringMatching(/安全保密员/),
      });
    }
    const secret = await fileDirectly({ title: '降密测试 密级', securityLevel: 'secret' });
    const lower = await patch(secret, { securityLevel: 'internal', reason: '误标' });
    expect(lower.statusCode).toBe(403);
    expect(errorOf(lower).message).toMatch(/密级/);
    expect((await getItem(db(), secret, SYSTEM)).securityLevel).toBe('secret');
    expect((await patch(secret, { securityLevel: 'top_secret', reason: '定密' })).statusCode).toBe(200);
    const normal = await fileDirectly({ title: '升级测试' });
    expect((await patch(normal, { sensitivity: 'restricted', reason: '含病情' })).statusCode).toBe(200);
    expect((await getItem(db(), normal, SYSTEM)).sensitivity).toBe('restricted');
  });

  it('lets the 安全保密员 lower them with a reason, without reading the item, and logs the decision', async () => {
    const restricted = await fileDirectly({ title: '降密测试 决定', sensitivity: 'restricted' });
    const url = `${codeUrl(restricted)}/classification`;
    const noReason = await call('POST', url, secadmin.headers, { sensitivity: 'normal' });
    expect(noReason.statusCode).toBe(400);
    expect(
      (await call('POST', url, clerk.headers, { sensitivity: 'normal', reason: '误标' })).statusCode,
    ).toBe(403);
    const lowered = await call('POST', url, secadmin.headers, {
      sensitivity: 'normal',
      reason: '经核定不含病情',
    });
    expect(lowered.statusCode, lowered.body).toBe(200);
    expect(lowered.json()).toEqual({
      archiveCode: restricted,
      version: 2,
      sensitivity: 'normal',
      securityLevel: expect.anything(),
    });
    expect(lowered.body).not.toContain('降密测试');
    const event = await db()
      .selectFrom('integrity_event')
      .select(['actor', 'payload'])
      .where('action', '=', 'item.changed')
      .where('subject', '=', `item:${restricted}`)
      .executeTakeFirstOrThrow();
    expect(event.actor).toBe(secadmin.username);
    expect(JSON.parse(event.payload)).toMatchObject({
      reason: '经核定不含病情',
      lowered: { sensitivity: { from: 'restricted', to: 'normal' } },
    });
    // Outside its own scope the item does not exist for it.
    const elsewhere = await fileDirectly({
      fonds: 'J014',
      title: '降密测试 范围外',
      sensitivity: 'restricted',
    });
    const outside = await call('POST', `${codeUrl(elsewhere)}/classification`, secadmin.headers, {
      sensitivity: 'normal',
      reason: '误标',
    });
    expect(outside.statusCode).toBe(404);
  });
});

describe('sign-in failures', () => {
  it('answers a locked account and an unknown name alike, and still logs the lock', async () => {
    const clerk = await testUser(db(), { roles: ['clerk'] });
    const answers = [];
    for (let attempt = 0; attempt < 6; attempt++)
      answers.push(await login(clerk.username, 'Wrong-Passw0rd!'));
    const unknown = [];
    for (let attempt = 0; attempt < 6; attempt++)
      unknown.push(await login('never-existed', 'Wrong-Passw0rd!'));
    const right = await login(clerk.username);
    for (const response of [...answers, ...unknown, right]) {
      expect(response.statusCode).toBe(401);
      expect(response.body).toBe(unknown[0]?.body);
    }
    expect(errorOf(right).message).toMatch(/锁定 15 分钟/);
    const locked = await db()
      .selectFrom('integrity_event')
      .select('action')
      .where('subject', '=', `user:${clerk.username}`)
      .where('action', 'in', ['auth.locked', 'auth.refused_locked'])
      .orderBy('seq')
      .execute();
    expect(locked.map((row) => row.action)).toEqual([
      'auth.locked',
      'auth.refused_locked',
      'auth.refused_locked',
    ]);
  });
});
