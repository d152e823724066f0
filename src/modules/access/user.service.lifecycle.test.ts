import { describe, expect, it } from 'vitest';
import { failure, validId, wrongCheckId } from '../../../test/helpers/fixtures.js';
import { ACTOR, db, eventsOf, PASSWORD, useUserDatabase } from '../../../test/helpers/user-service.js';
import { ValidationError } from '../../shared/errors.js';
import { findUserByName } from './access.repo.js';
import { verifyPassword } from './password.js';
import { loadPrincipal } from './principal.js';
import { totpCode, totpStep } from './totp.js';
import {
  changePassword,
  createUser,
  listUserViews,
  setAccess,
  setDisabled,
  userSubject,
} from './user.service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';

// Accounts on a real database, part 1: the accounts the later tests work on are created here (business,
// administrative, insured), then listed, their roles and scope changed, disabled and their passwords
// changed, with the events each change leaves in the log. The shared set-up is in
// test/helpers/user-service.ts; part 2 (the creation rules, conflicts and parseScope) is
// user.service.create-rules.test.ts.

useUserDatabase();

describe('createUser', () => {
  it('creates a business account with roles and scope, normalising the username', async () => {
    const created = await createUser(
      db(),
      {
        username: '  Wang.Li_01 ',
        displayName: ' 王丽 ',
        password: PASSWORD,
        roles: ['clerk', 'reviewer'],
        scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }],
      },
      ACTOR,
    );
    expect(created.totpSecret).toBeNull();
    expect(created.totpUri).toBeNull();
    expect(created.user).toMatchObject({
      username: 'wang.li_01',
      displayName: '王丽',
      roles: ['clerk', 'reviewer'],
      scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }],
      totpEnabled: false,
      disabled: false,
      locked: false,
      createdBy: ACTOR,
    });
    expect(Number.isNaN(Date.parse(created.user.createdAt))).toBe(false);
    const row = await findUserByName(db(), 'wang.li_01');
    expect(row?.passwordHash.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword(PASSWORD, row?.passwordHash as string)).toBe(true);
    expect(row?.totpSecret).toBeNull();
    expect(row?.failedAttempts).toBe(0);
  });

  it('gives each administrative account a TOTP secret, shown once, that works', async () => {
    const created = await createUser(
      db(),
      { username: 'sec.admin', password: PASSWORD, roles: ['secadmin'] },
      ACTOR,
    );
    expect(created.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(created.user.totpEnabled).toBe(true);
    expect(created.totpUri).toContain(`secret=${created.totpSecret}`);
    expect(created.totpUri).toContain('sec.admin');
    const row = await findUserByName(db(), 'sec.admin');
    expect(row?.totpSecret).toBe(created.totpSecret);
    const now = Date.now();
    expect(
      totpStep(row?.totpSecret as string, totpCode(created.totpSecret as string, now), now),
    ).toBeDefined();
    const views = await listUserViews(db());
    expect(views.find((user) => user.username === 'sec.admin')?.totpEnabled).toBe(true);
    expect(views.find((user) => user.username === 'wang.li_01')?.totpEnabled).toBe(false);
  });

  it('needs a valid ID number for the insured role, stored in upper case', async () => {
    const missing = await failure(
      createUser(db(), { username: 'canbao', password: PASSWORD, roles: ['insured'] }, ACTOR),
    );
    expect(missing.code).toBe('ID_NUMBER_REQUIRED');
    const wrong = await failure(
      createUser(
        db(),
        { username: 'canbao', password: PASSWORD, roles: ['insured'], idNumber: wrongCheckId() },
        ACTOR,
      ),
    );
    expect(wrong.code).toBe('ID_NUMBER_INVALID');
    const garbage = await failure(
      createUser(
        db(),
        { username: 'canbao', password: PASSWORD, roles: ['insured'], idNumber: '12345' },
        ACTOR,
      ),
    );
    expect(garbage.code).toBe('ID_NUMBER_INVALID');
    expect(await findUserByName(db(), 'canbao')).toBeUndefined();

    // 11010519491231002 ends in the check character X.
    const withX = validId('11010519491231002');
    expect(withX.endsWith('X')).toBe(true);
    await createUser(
      db(),
      { username: 'canbao', password: PASSWORD, roles: ['insured'], idNumber: ` ${withX.toLowerCase()} ` },
      ACTOR,
    );
    expect((await findUserByName(db(), 'canbao'))?.idNumber).toBe(withX);
  });

  it('does not record an ID number for accounts without the insured role', async () => {
    await createUser(
      db(),
      { username: 'jingban', password: PASSWORD, roles: ['clerk'], idNumber: validId() },
      ACTOR,
    );
    expect((await findUserByName(db(), 'jingban'))?.idNumber).toBeNull();
  });

  it('logs user.created with roles, scope and TOTP flag but no password or hash', async () => {
    const password = 'Unique-Secret-Pw-9z!';
    const created = await createUser(
      db(),
      {
        username: 'logged',
        password,
        roles: ['archivist'],
        scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
      },
      ACTOR,
    );
    const events = await eventsOf('user.created', userSubject('logged'));
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.actor).toBe(ACTOR);
    expect(event?.data).toEqual({
      roles: ['archivist'],
      scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
      totp: false,
    });
    const hash = (await findUserByName(db(), 'logged'))?.passwordHash as string;
    expect(event?.payload).not.toContain(password);
    expect(event?.payload).not.toContain(hash.split('$')[5]);
    expect(event?.payload).not.toContain('scrypt');
    expect(created.user.username).toBe('logged');

    const admin = await eventsOf('user.created', userSubject('sec.admin'));
    expect(admin[0]?.data.totp).toBe(true);
    expect(admin[0]?.payload).not.toMatch(/[A-Z2-7]{32}/);
  });
});

describe('listUserViews', () => {
  it('lists accounts by username with no secrets', async () => {
    const views = await listUserViews(db());
    const names = views.map((user) => user.username);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['wang.li_01', 'sec.admin', 'canbao', 'logged']));
    for (const view of views) {
      expect(Object.keys(view).sort()).toEqual(
        [
          'createdAt',
          'createdBy',
          'disabled',
          'displayName',
          'locked',
          'mustChangePassword',
          'roles',
          'scope',
          'totpEnabled',
          'username',
        ].sort(),
      );
    }
    expect(JSON.stringify(views)).not.toContain('scrypt$');
  });
});

describe('setAccess', () => {
  it('replaces roles and scope and logs the change with the previous roles', async () => {
    await createUser(db(), { username: 'grantee', password: PASSWORD, roles: ['clerk'] }, ACTOR);
    const view = await setAccess(
      db(),
      'Grantee',
      {
        roles: ['reviewer', 'manager'],
        scope: [
          { fondsCode: 'J013', regionCode: null, categoryCode: null },
          { fondsCode: null, regionCode: '320100', categoryCode: 'DY' },
        ],
      },
      '安全保密员',
      { granter: SYSTEM },
    );
    expect(view.roles).toEqual(['manager', 'reviewer']);
    expect(view.scope).toEqual([
      { fondsCode: 'J013', regionCode: null, categoryCode: null },
      { fondsCode: null, regionCode: '320100', categoryCode: 'DY' },
    ]);
    const row = await findUserByName(db(), 'grantee');
    const principal = await loadPrincipal(db(), row?.id as number, 'cli');
    expect(principal?.roles.sort()).toEqual(['manager', 'reviewer']);
    expect(principal?.scope).toHaveLength(2);
    const [event] = await eventsOf('user.access_changed', userSubject('grantee'));
    expect(event?.actor).toBe('安全保密员');
    expect(event?.data.previousRoles).toEqual(['clerk']);
    expect(event?.data.roles).toEqual(['reviewer', 'manager']);

    const cleared = await setAccess(db(), 'grantee', { roles: [], scope: [] }, '安全保密员', {
      granter: SYSTEM,
    });
    expect(cleared.roles).toEqual([]);
    expect(cleared.scope).toEqual([]);
  });

  it('refuses to grant an administrative role unless allowed (server only)', async () => {
    const error = await failure(
      setAccess(db(), 'grantee', { roles: ['auditor'], scope: [] }, '安全保密员', { granter: SYSTEM }),
    );
    expect(error.code).toBe('ADMIN_ROLE_SERVER_ONLY');
    expect(error.kind).toBe('invalid');
    expect((await listUserViews(db())).find((user) => user.username === 'grantee')?.roles).toEqual([]);
  });

  it('refuses to take an administrative role away unless allowed', async () => {
    const error = await failure(
      setAccess(db(), 'sec.admin', { roles: ['clerk'], scope: [] }, '安全保密员', { granter: SYSTEM }),
    );
    expect(error.code).toBe('ADMIN_ROLE_SERVER_ONLY');
    expect((await listUserViews(db())).find((user) => user.username === 'sec.admin')?.roles).toEqual([
      'secadmin',
    ]);
  });

  it('grants an administrative role when allowed, with a TOTP secret', async () => {
    expect((await findUserByName(db(), 'grantee'))?.totpSecret).toBeNull();
    const view = await setAccess(db(), 'grantee', { roles: ['auditor'], scope: [] }, 'server', {
      granter: SYSTEM,
      allowAdminRoles: true,
    });
    expect(view.roles).toEqual(['auditor']);
    expect((await findUserByName(db(), 'grantee'))?.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect((await listUserViews(db())).find((user) => user.username === 'grantee')?.totpEnabled).toBe(true);
    expect(view.totpEnabled).toBe(true);
  });

  it('keeps 三员分立 even when administrative roles are allowed', async () => {
    const error = await failure(
      setAccess(db(), 'grantee', { roles: ['auditor', 'secadmin'], scope: [] }, 'server', {
        granter: SYSTEM,
        allowAdminRoles: true,
      }),
    );
    expect(error.code).toBe('ROLES_SEPARATED');
    const mixed = await failure(
      setAccess(db(), 'grantee', { roles: ['auditor', 'reviewer'], scope: [] }, 'server', {
        granter: SYSTEM,
        allowAdminRoles: true,
      }),
    );
    expect(mixed.code).toBe('ROLES_SEPARATED');
    expect((await listUserViews(db())).find((user) => user.username === 'grantee')?.roles).toEqual([
      'auditor',
    ]);
  });

  it('refuses an unknown scope and leaves the old one', async () => {
    const before = (await listUserViews(db())).find((user) => user.username === 'wang.li_01');
    const error = await failure(
      setAccess(
        db(),
        'wang.li_01',
        { roles: ['clerk'], scope: [{ fondsCode: 'ZZZZ', regionCode: null, categoryCode: null }] },
        '安全保密员',
        { granter: SYSTEM },
      ),
      ValidationError,
    );
    expect(error.issues[0]?.field).toBe('scope[0].fonds');
    const after = (await listUserViews(db())).find((user) => user.username === 'wang.li_01');
    expect(after?.roles).toEqual(before?.roles);
    expect(after?.scope).toEqual(before?.scope);
  });

  it('refuses an unknown user', async () => {
    const error = await failure(
      setAccess(db(), 'nobody', { roles: ['clerk'], scope: [] }, '安全保密员', { granter: SYSTEM }),
    );
    expect(error.code).toBe('USER_NOT_FOUND');
    expect(error.kind).toBe('not_found');
  });
});

describe('setDisabled', () => {
  it('disables and enables an account, logging both', async () => {
    const disabled = await setDisabled(db(), 'jingban', true, ACTOR);
    expect(disabled.disabled).toBe(true);
    expect((await findUserByName(db(), 'jingban'))?.disabled).toBe(true);
    const row = await findUserByName(db(), 'jingban');
    expect(await loadPrincipal(db(), row?.id as number, 'session')).toBeUndefined();
    const enabled = await setDisabled(db(), 'jingban', false, ACTOR);
    expect(enabled.disabled).toBe(false);
    expect(await loadPrincipal(db(), row?.id as number, 'session')).toBeDefined();
    expect(await eventsOf('user.disabled', userSubject('jingban'))).toHaveLength(1);
    expect(await eventsOf('user.enabled', userSubject('jingban'))).toHaveLength(1);
    expect((await failure(setDisabled(db(), 'nobody', true, ACTOR))).code).toBe('USER_NOT_FOUND');
  });
});

describe('changePassword', () => {
  it('replaces the hash after checking the policy, and logs it without the password', async () => {
    const next = 'Brand-New-Secret-42!';
    const named = await failure(changePassword(db(), 'jingban', 'Jingban-2024-new!', ACTOR));
    expect(named.code).toBe('PASSWORD_WEAK');
    expect(
      await verifyPassword(PASSWORD, (await findUserByName(db(), 'jingban'))?.passwordHash as string),
    ).toBe(true);
    await changePassword(db(), ' JingBan ', next, ACTOR);
    const hash = (await findUserByName(db(), 'jingban'))?.passwordHash as string;
    expect(await verifyPassword(next, hash)).toBe(true);
    expect(await verifyPassword(PASSWORD, hash)).toBe(false);
    const events = await eventsOf('user.password_changed', userSubject('jingban'));
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).not.toContain(next);
    expect((await failure(changePassword(db(), 'nobody', next, ACTOR))).code).toBe('USER_NOT_FOUND');
  });
});
