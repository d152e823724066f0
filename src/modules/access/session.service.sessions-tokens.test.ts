import { describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  db,
  eventsOf,
  MINUTE,
  PASSWORD,
  useSessionDatabase,
  wrongPasswordMessage,
} from '../../../test/helpers/session-service.js';
import { findUserByName } from './access.repo.js';
import {
  createApiToken,
  resolveApiToken,
  resolveSession,
  revokeToken,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
  signIn,
  signOut,
  tokensOf,
} from './session.service.js';
import { changePassword, setAccess, setDisabled, userSubject } from './user.service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';

// Sessions and API tokens on a real database, part 2: session expiry and sign-out, disabled accounts,
// password changes and API tokens. Time is simulated by passing `now`; sessions start from the real
// clock, since the database stamps them. The shared set-up is in test/helpers/session-service.ts;
// part 1 (passwords, lockout, the second factor) is session.service.sign-in.test.ts.

useSessionDatabase();

describe('sessions', () => {
  it('ends after more than 30 idle minutes, and each use extends it', async () => {
    expect(SESSION_IDLE_MS).toBe(30 * MINUTE);
    const start = new Date();
    const idle = await signIn(db(), { username: 'clerk1', password: PASSWORD }, start);
    const active = await signIn(db(), { username: 'clerk1', password: PASSWORD }, start);
    const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);

    expect(await resolveSession(db(), idle.sessionToken, at(31))).toBeUndefined();

    expect(await resolveSession(db(), active.sessionToken, at(29))).toBeDefined();
    expect(await resolveSession(db(), active.sessionToken, at(58))).toBeDefined();
    expect(await resolveSession(db(), active.sessionToken, at(87))).toBeDefined();
    expect(await resolveSession(db(), active.sessionToken, at(87 + 31))).toBeUndefined();
  });

  it('ends after 12 hours however busy', async () => {
    expect(SESSION_MAX_MS).toBe(12 * 60 * MINUTE);
    const start = new Date();
    const signed = await signIn(db(), { username: 'clerk1', password: PASSWORD }, start);
    const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);
    for (let minutes = 25; minutes < 12 * 60; minutes += 25)
      expect(await resolveSession(db(), signed.sessionToken, at(minutes)), `${minutes} min`).toBeDefined();
    expect(await resolveSession(db(), signed.sessionToken, at(12 * 60 - 1))).toBeDefined();
    expect(await resolveSession(db(), signed.sessionToken, at(12 * 60))).toBeUndefined();
  });

  it('measures idle time on the clock the session was signed in with', async () => {
    const then = new Date(Date.now() + 24 * 60 * MINUTE);
    const signed = await signIn(db(), { username: 'clerk1', password: PASSWORD }, then);
    expect(await resolveSession(db(), signed.sessionToken, new Date(then.getTime() + MINUTE))).toBeDefined();
  });

  it('ends at sign-out, and only that session', async () => {
    const first = await signIn(db(), { username: 'clerk1', password: PASSWORD });
    const second = await signIn(db(), { username: 'clerk1', password: PASSWORD });
    await signOut(db(), first.sessionToken, first.principal);
    expect(await resolveSession(db(), first.sessionToken)).toBeUndefined();
    expect((await resolveSession(db(), second.sessionToken))?.principal.username).toBe('clerk1');
    expect((await eventsOf('auth.logout', userSubject('clerk1'))).length).toBeGreaterThanOrEqual(1);
  });

  it('does not resolve an unknown or altered token', async () => {
    const signed = await signIn(db(), { username: 'clerk1', password: PASSWORD });
    expect(await resolveSession(db(), 'no-such-session')).toBeUndefined();
    expect(await resolveSession(db(), '')).toBeUndefined();
    const last = signed.sessionToken.at(-1) === 'A' ? 'B' : 'A';
    expect(await resolveSession(db(), `${signed.sessionToken.slice(0, -1)}${last}`)).toBeUndefined();
    expect(await resolveSession(db(), signed.sessionToken)).toBeDefined();
  });
});

describe('disabled accounts', () => {
  it('cannot sign in, and their sessions and tokens stop working', async () => {
    const signed = await signIn(db(), { username: 'disabled1', password: PASSWORD });
    const { token } = await createApiToken(
      db(),
      { username: 'disabled1', name: '报销系统', permissions: ['item.read'], days: 1 },
      'test',
    );
    expect(await resolveApiToken(db(), token)).toBeDefined();
    await setDisabled(db(), 'disabled1', true, 'test');

    expect(await resolveSession(db(), signed.sessionToken)).toBeUndefined();
    expect(await resolveApiToken(db(), token)).toBeUndefined();
    const refused = await failure(signIn(db(), { username: 'disabled1', password: PASSWORD }));
    expect(refused.code).toBe('SIGN_IN_FAILED');
    expect(refused.message).toBe(await wrongPasswordMessage());
    expect((await eventsOf('auth.failed', userSubject('disabled1'))).at(-1)?.data.reason).toBe('disabled');
    const noToken = await failure(
      createApiToken(db(), { username: 'disabled1', name: 'x', permissions: ['item.read'], days: 1 }, 'test'),
    );
    expect(noToken.code).toBe('USER_DISABLED');

    const [disabledEvent] = await eventsOf('user.disabled', userSubject('disabled1'));
    expect(disabledEvent?.data).toEqual({ sessions: 1, tokens: 1 });

    await setDisabled(db(), 'disabled1', false, 'test');
    // Re-enabling does not bring back what was issued before.
    expect(await resolveSession(db(), signed.sessionToken)).toBeUndefined();
    expect(await resolveApiToken(db(), token)).toBeUndefined();
    const again = await signIn(db(), { username: 'disabled1', password: PASSWORD });
    expect(again.principal.username).toBe('disabled1');
    expect(await resolveSession(db(), again.sessionToken)).toBeDefined();
    await signIn(db(), { username: 'clerk1', password: PASSWORD });
  });
});

describe('changing the password', () => {
  it('ends the account’s sessions; the new password signs in, the old one no longer', async () => {
    const first = await signIn(db(), { username: 'disabled1', password: PASSWORD });
    const second = await signIn(db(), { username: 'disabled1', password: PASSWORD });
    const other = await signIn(db(), { username: 'clerk1', password: PASSWORD });
    const next = 'Another-Passw0rd-77!';
    await changePassword(db(), 'disabled1', next, 'test');
    expect(await resolveSession(db(), first.sessionToken)).toBeUndefined();
    expect(await resolveSession(db(), second.sessionToken)).toBeUndefined();
    expect(await resolveSession(db(), other.sessionToken)).toBeDefined();
    expect((await failure(signIn(db(), { username: 'disabled1', password: PASSWORD }))).code).toBe(
      'SIGN_IN_FAILED',
    );
    const fresh = await signIn(db(), { username: 'disabled1', password: next });
    expect(await resolveSession(db(), fresh.sessionToken)).toBeDefined();
  });
});

describe('API tokens', () => {
  it('makes a ydt_<16 hex>_<43 chars> token limited to its permissions', async () => {
    const now = new Date();
    const created = await createApiToken(
      db(),
      {
        username: 'TokenUser',
        name: ' 报销系统 ',
        permissions: ['item.read', 'item.create', 'item.read'],
        days: 30,
      },
      '安全保密员',
      { now },
    );
    expect(created.token).toMatch(/^ydt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(`ydt_${created.id}_`)).toBe(true);
    expect(created.permissions).toEqual(['item.read', 'item.create']);
    expect(created.expiresAt.getTime()).toBe(now.getTime() + 30 * 24 * 60 * MINUTE);

    const principal = await resolveApiToken(db(), created.token);
    expect(principal).toMatchObject({
      username: 'tokenuser',
      via: 'token',
      tokenId: created.id,
      roles: ['clerk'],
    });
    // The clerk may also read files and add them, but this token may not.
    expect([...(principal?.permissions ?? [])].sort()).toEqual(['item.create', 'item.read']);

    const [event] = await eventsOf('token.created', userSubject('tokenuser'));
    expect(event?.actor).toBe('安全保密员');
    expect(event?.data).toMatchObject({
      tokenId: created.id,
      name: '报销系统',
      permissions: ['item.read', 'item.create'],
    });
    expect(event?.payload).not.toContain(created.token.slice(21));

    const stored = await db()
      .selectFrom('api_token')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_hash).toHaveLength(32);
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(21));
  });

  it('refuses permissions beyond the account’s roles, unknown ones or none', async () => {
    const input = { username: 'tokenuser', name: 'x', days: 1 };
    const beyond = await failure(
      createApiToken(db(), { ...input, permissions: ['item.read', 'user.manage'] }, 'test'),
    );
    expect(beyond.code).toBe('PERMISSION_BEYOND_ROLE');
    expect(beyond.kind).toBe('invalid');
    expect(beyond.message).toContain('管理账户');
    expect(beyond.message).not.toContain('查阅档案');
    expect(
      (await failure(createApiToken(db(), { ...input, permissions: ['item.update'] }, 'test'))).code,
    ).toBe('PERMISSION_BEYOND_ROLE');
    expect(
      (await failure(createApiToken(db(), { ...input, permissions: ['item.delete'] }, 'test'))).code,
    ).toBe('PERMISSION_UNKNOWN');
    expect((await failure(createApiToken(db(), { ...input, permissions: [] }, 'test'))).code).toBe(
      'PERMISSION_REQUIRED',
    );
    for (const days of [0, 367, 1.5, -1])
      expect(
        (await failure(createApiToken(db(), { ...input, permissions: ['item.read'], days }, 'test'))).code,
      ).toBe('TOKEN_DAYS_INVALID');
    expect(
      (await failure(createApiToken(db(), { ...input, name: '   ', permissions: ['item.read'] }, 'test')))
        .code,
    ).toBe('TOKEN_NAME_REQUIRED');
    expect(
      (
        await failure(
          createApiToken(db(), { ...input, username: 'nobody', permissions: ['item.read'] }, 'test'),
        )
      ).code,
    ).toBe('USER_NOT_FOUND');
    await createApiToken(db(), { ...input, permissions: ['item.read'], days: 366 }, 'test');
  });

  it('never carries more than the caller asking for it holds', async () => {
    const input = { username: 'tokenuser', name: 'delegated', days: 1 };
    const caller = new Set(['item.read'] as const);
    const error = await failure(
      createApiToken(db(), { ...input, permissions: ['item.read', 'item.create'] }, 'tokenuser', {
        callerPermissions: caller,
      }),
    );
    expect(error.code).toBe('PERMISSION_BEYOND_ROLE');
    expect(error.message).toContain('归档');
    expect(error.message).not.toContain('查阅档案');
    const allowed = await createApiToken(db(), { ...input, permissions: ['item.read'] }, 'tokenuser', {
      callerPermissions: caller,
    });
    expect(allowed.permissions).toEqual(['item.read']);
  });

  it('loses permissions the account’s roles lose', async () => {
    const { token } = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'narrowing', permissions: ['item.read', 'item.create'], days: 1 },
      'test',
    );
    await setAccess(db(), 'tokenuser', { roles: ['manager'], scope: [] }, 'test', { granter: SYSTEM });
    try {
      const principal = await resolveApiToken(db(), token);
      expect([...(principal?.permissions ?? [])]).toEqual(['item.read']);
    } finally {
      await setAccess(db(), 'tokenuser', { roles: ['clerk'], scope: [] }, 'test', { granter: SYSTEM });
    }
    expect([...((await resolveApiToken(db(), token))?.permissions ?? [])].sort()).toEqual([
      'item.create',
      'item.read',
    ]);
  });

  it('does not resolve once expired', async () => {
    const now = new Date();
    const { token, expiresAt } = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'short', permissions: ['item.read'], days: 1 },
      'test',
      { now },
    );
    expect(await resolveApiToken(db(), token, new Date(expiresAt.getTime() - 1))).toBeDefined();
    expect(await resolveApiToken(db(), token, expiresAt)).toBeUndefined();
    expect(await resolveApiToken(db(), token, new Date(expiresAt.getTime() + MINUTE))).toBeUndefined();
  });

  it('does not resolve once revoked; revoking twice or an unknown token is refused', async () => {
    const { token, id } = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'to revoke', permissions: ['item.read'], days: 1 },
      'test',
    );
    expect(await resolveApiToken(db(), token)).toBeDefined();
    await revokeToken(db(), id, '安全保密员');
    expect(await resolveApiToken(db(), token)).toBeUndefined();
    const events = await eventsOf('token.revoked', `token:${id}`);
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toBe('安全保密员');
    const again = await failure(revokeToken(db(), id, '安全保密员'));
    expect(again.code).toBe('TOKEN_NOT_FOUND');
    expect(again.kind).toBe('not_found');
    expect((await failure(revokeToken(db(), '0123456789abcdef', 'test'))).code).toBe('TOKEN_NOT_FOUND');
    const listed = (await tokensOf(db(), 'tokenuser')).find((row) => row.id === id);
    expect(listed?.revokedAt).toBeInstanceOf(Date);
  });

  it('does not resolve a tampered or malformed token', async () => {
    const one = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'a', permissions: ['item.read'], days: 1 },
      'test',
    );
    const two = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'b', permissions: ['item.read'], days: 1 },
      'test',
    );
    const secretOf = (token: string) => token.slice(21);
    const flip = (char: string) => (char === 'A' ? 'B' : 'A');
    const candidates = [
      `${one.token.slice(0, -1)}${flip(one.token.at(-1) as string)}`,
      `ydt_${one.id[0] === 'a' ? 'b' : 'a'}${one.id.slice(1)}_${secretOf(one.token)}`,
      `ydt_${one.id}_${secretOf(two.token)}`,
      `ydt_${two.id}_${secretOf(one.token)}`,
      `ydt_${'f'.repeat(16)}_${secretOf(one.token)}`,
      one.token.replace('ydt_', 'ydx_'),
      `${one.token}A`,
      one.token.slice(0, -1),
      one.token.toUpperCase(),
      `Bearer ${one.token}`,
      '',
    ];
    for (const candidate of candidates)
      expect(await resolveApiToken(db(), candidate), candidate).toBeUndefined();
    expect(await resolveApiToken(db(), one.token)).toBeDefined();
    expect(await resolveApiToken(db(), two.token)).toBeDefined();
  });

  it('lists an account’s tokens without their hashes', async () => {
    const tokens = await tokensOf(db(), 'TOKENUSER');
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    for (const token of tokens) {
      expect(Object.keys(token)).not.toContain('secretHash');
      expect(Object.keys(token)).not.toContain('userId');
      expect(token.id).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(tokens.map((token) => token.name)).toContain('报销系统');
    expect((await failure(tokensOf(db(), 'nobody'))).code).toBe('USER_NOT_FOUND');
    expect(await tokensOf(db(), 'clerk1')).toEqual([]);
  });

  it('records when a token was last used', async () => {
    const { token, id } = await createApiToken(
      db(),
      { username: 'tokenuser', name: 'used', permissions: ['item.read'], days: 1 },
      'test',
    );
    expect((await tokensOf(db(), 'tokenuser')).find((row) => row.id === id)?.lastUsedAt).toBeNull();
    const when = new Date(Date.now() + MINUTE);
    await resolveApiToken(db(), token, when);
    expect((await tokensOf(db(), 'tokenuser')).find((row) => row.id === id)?.lastUsedAt?.getTime()).toBe(
      when.getTime(),
    );
  });
});

describe('the user row after all this', () => {
  it('keeps the password hash out of every logged event', async () => {
    const hash = (await findUserByName(db(), 'clerk1'))?.passwordHash as string;
    const rows = await db().selectFrom('integrity_event').select('payload').execute();
    for (const row of rows) {
      expect(row.payload).not.toContain(hash.split('$')[5]);
      expect(row.payload).not.toContain(PASSWORD);
    }
  });
});
