import { describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  adminSecret,
  db,
  eventsOf,
  MINUTE,
  PASSWORD,
  userRow,
  useSessionDatabase,
  WRONG,
} from '../../../test/helpers/session-service.js';
import type { YidangError } from '../../shared/errors.js';
import {
  LOCKOUT_MS,
  MAX_FAILED_ATTEMPTS,
  resolveSession,
  SESSION_MAX_MS,
  SIGN_IN_FAILED_MESSAGE,
  signIn,
} from './session.service.js';
import { totpCode } from './totp.js';
import { listUserViews, userSubject } from './user.service.js';

// Signing in on a real database, part 1: passwords, lockout and the second factor. Time is simulated
// by passing `now`. The shared set-up is in test/helpers/session-service.ts; part 2 (sessions,
// disabled accounts, password changes and API tokens) is session.service.sessions-tokens.test.ts.

useSessionDatabase();

describe('signIn', () => {
  it('signs in with the right password and returns a session that resolves', async () => {
    const before = await eventsOf('auth.login', userSubject('clerk1'));
    const now = new Date();
    const signed = await signIn(
      db(),
      { username: ' Clerk1 ', password: PASSWORD, clientAddress: '10.0.0.7' },
      now,
    );
    expect(signed.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signed.csrfToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(signed.expiresAt.getTime()).toBe(now.getTime() + SESSION_MAX_MS);
    expect(signed.principal).toMatchObject({ username: 'clerk1', roles: ['clerk'], via: 'session' });
    expect(signed.principal.permissions.has('item.create')).toBe(true);
    expect(signed.principal.permissions.has('user.manage')).toBe(false);
    expect(await userRow('clerk1')).toMatchObject({ failed_attempts: 0, locked_until: null });

    const resolved = await resolveSession(db(), signed.sessionToken);
    expect(resolved?.principal.username).toBe('clerk1');
    expect(resolved?.principal.via).toBe('session');
    expect(resolved?.csrfToken).toBe(signed.csrfToken);

    const after = await eventsOf('auth.login', userSubject('clerk1'));
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)?.data).toEqual({ address: '10.0.0.7', totp: false });
    expect(after.at(-1)?.payload).not.toContain(PASSWORD);
    expect(after.at(-1)?.payload).not.toContain(signed.sessionToken);
  });

  it('keeps no session token in the database, only its hash', async () => {
    const signed = await signIn(db(), { username: 'clerk1', password: PASSWORD });
    const rows = await db().selectFrom('user_session').select(['token_hash']).execute();
    for (const row of rows) {
      expect(row.token_hash).toHaveLength(32);
      expect(Buffer.from(row.token_hash).toString('utf8')).not.toContain(signed.sessionToken);
    }
  });

  it('refuses a wrong password, counts it and logs auth.failed', async () => {
    const error = await failure(
      signIn(db(), { username: 'clerk1', password: WRONG, clientAddress: '10.0.0.8' }),
    );
    expect(error.code).toBe('SIGN_IN_FAILED');
    expect(error.kind).toBe('unauthorized');
    expect((await userRow('clerk1')).failed_attempts).toBe(1);
    const failed = await eventsOf('auth.failed', userSubject('clerk1'));
    expect(failed.at(-1)?.data).toEqual({ reason: 'password', address: '10.0.0.8' });
    expect(failed.at(-1)?.payload).not.toContain(WRONG);
    // A later success clears the count.
    await signIn(db(), { username: 'clerk1', password: PASSWORD });
    expect((await userRow('clerk1')).failed_attempts).toBe(0);
  });

  it('answers an unknown user exactly like a wrong password, and logs it', async () => {
    const wrong = await failure(signIn(db(), { username: 'clerk1', password: WRONG }));
    const unknown = await failure(signIn(db(), { username: 'No.Such.User', password: PASSWORD }));
    expect(unknown.code).toBe('SIGN_IN_FAILED');
    expect(unknown.kind).toBe(wrong.kind);
    expect(unknown.message).toBe(wrong.message);
    const events = await eventsOf('auth.failed', userSubject('no.such.user'));
    expect(events).toHaveLength(1);
    expect(events[0]?.data.reason).toBe('unknown_user');
    await signIn(db(), { username: 'clerk1', password: PASSWORD });
  });

  it('locks the account after 5 failures for 15 minutes, even against the right password', async () => {
    expect(MAX_FAILED_ATTEMPTS).toBe(5);
    expect(LOCKOUT_MS).toBe(15 * MINUTE);
    const start = new Date();
    const errors: YidangError[] = [];
    for (let attempt = 1; attempt <= 5; attempt++)
      errors.push(
        await failure(
          signIn(db(), { username: 'locky', password: WRONG }, new Date(start.getTime() + attempt * 1000)),
        ),
      );
    // The lock is not told apart from a wrong password: the answer must not reveal the account.
    expect(errors.map((error) => error.code)).toEqual(Array(5).fill('SIGN_IN_FAILED'));
    expect(errors.map((error) => error.message)).toEqual(Array(5).fill(SIGN_IN_FAILED_MESSAGE));
    expect(SIGN_IN_FAILED_MESSAGE).toContain('锁定 15 分钟');
    const lockedAt = start.getTime() + 5000;
    const row = await userRow('locky');
    expect(row.locked_until?.getTime()).toBe(lockedAt + LOCKOUT_MS);

    // The right password during the lock is refused with the same answer as an unknown name.
    const during = await failure(
      signIn(db(), { username: 'locky', password: PASSWORD }, new Date(lockedAt + 14 * MINUTE)),
    );
    const unknown = await failure(signIn(db(), { username: 'no-such-user', password: PASSWORD }));
    expect({ code: during.code, kind: during.kind, message: during.message }).toEqual({
      code: unknown.code,
      kind: unknown.kind,
      message: unknown.message,
    });
    expect(during.kind).toBe('unauthorized');
    const almost = await failure(
      signIn(db(), { username: 'locky', password: PASSWORD }, new Date(lockedAt + LOCKOUT_MS - 1)),
    );
    expect(almost.code).toBe('SIGN_IN_FAILED');
    expect((await listUserViews(db())).find((user) => user.username === 'locky')?.locked).toBe(true);

    // Once the lock has run out the right password works again.
    const after = await signIn(
      db(),
      { username: 'locky', password: PASSWORD },
      new Date(lockedAt + LOCKOUT_MS),
    );
    expect(after.principal.username).toBe('locky');
    expect(await userRow('locky')).toMatchObject({ failed_attempts: 0, locked_until: null });
    expect((await listUserViews(db())).find((user) => user.username === 'locky')?.locked).toBe(false);

    const subject = userSubject('locky');
    const failed = await eventsOf('auth.failed', subject);
    expect(failed).toHaveLength(5);
    expect(failed.every((event) => event.data.reason === 'password')).toBe(true);
    const locked = await eventsOf('auth.locked', subject);
    expect(locked).toHaveLength(1);
    expect(locked[0]?.actor).toBe('system:access');
    expect(locked[0]?.data).toMatchObject({
      until: new Date(lockedAt + LOCKOUT_MS).toISOString(),
      attempts: 5,
    });
    expect(await eventsOf('auth.refused_locked', subject)).toHaveLength(2);
    expect(await eventsOf('auth.login', subject)).toHaveLength(1);
  });

  it('starts counting afresh after a success', async () => {
    for (let attempt = 0; attempt < 4; attempt++)
      expect((await failure(signIn(db(), { username: 'resetter', password: WRONG }))).code).toBe(
        'SIGN_IN_FAILED',
      );
    expect((await userRow('resetter')).failed_attempts).toBe(4);
    await signIn(db(), { username: 'resetter', password: PASSWORD });
    expect((await userRow('resetter')).failed_attempts).toBe(0);
    for (let attempt = 0; attempt < 4; attempt++)
      expect((await failure(signIn(db(), { username: 'resetter', password: WRONG }))).code).toBe(
        'SIGN_IN_FAILED',
      );
    expect(await userRow('resetter')).toMatchObject({ failed_attempts: 4, locked_until: null });
    await signIn(db(), { username: 'resetter', password: PASSWORD });
  });
});

describe('the second factor', () => {
  it('asks an administrator for the TOTP code without counting a failure', async () => {
    const error = await failure(signIn(db(), { username: 'sysad', password: PASSWORD }));
    expect(error.code).toBe('TOTP_REQUIRED');
    expect(error.kind).toBe('unauthorized');
    expect((await userRow('sysad')).failed_attempts).toBe(0);
    expect(await eventsOf('auth.failed', userSubject('sysad'))).toHaveLength(0);
  });

  it('does not ask for the code when the password is wrong, and counts the failure', async () => {
    const error = await failure(signIn(db(), { username: 'sysad', password: WRONG }));
    expect(error.code).toBe('SIGN_IN_FAILED');
    expect((await userRow('sysad')).failed_attempts).toBe(1);
  });

  it('refuses a wrong code as a failed attempt', async () => {
    const now = new Date();
    const right = totpCode(adminSecret, now.getTime());
    const wrong = right === '000000' ? '000001' : '000000';
    const error = await failure(signIn(db(), { username: 'sysad', password: PASSWORD, totp: wrong }, now));
    expect(error.code).toBe('SIGN_IN_FAILED');
    expect((await userRow('sysad')).failed_attempts).toBe(2);
    expect((await eventsOf('auth.failed', userSubject('sysad'))).at(-1)?.data.reason).toBe('totp');
  });

  it('accepts the right code once; the same code again is refused', async () => {
    const now = new Date();
    const code = totpCode(adminSecret, now.getTime());
    const signed = await signIn(db(), { username: 'sysad', password: PASSWORD, totp: ` ${code} ` }, now);
    expect(signed.principal.roles).toEqual(['sysadmin']);
    const step = Math.floor(now.getTime() / 30_000);
    expect(await userRow('sysad')).toMatchObject({ failed_attempts: 0, totp_last_step: step });
    expect((await eventsOf('auth.login', userSubject('sysad'))).at(-1)?.data.totp).toBe(true);

    const replay = await failure(signIn(db(), { username: 'sysad', password: PASSWORD, totp: code }, now));
    expect(replay.code).toBe('SIGN_IN_FAILED');
    expect((await eventsOf('auth.failed', userSubject('sysad'))).at(-1)?.data.reason).toBe('totp');

    // Half a minute later the same code is still inside the window, yet used: refused.
    const later = new Date(now.getTime() + 30_000);
    const stale = await failure(signIn(db(), { username: 'sysad', password: PASSWORD, totp: code }, later));
    expect(stale.code).toBe('SIGN_IN_FAILED');
    // The next step's code is accepted.
    const next = await signIn(
      db(),
      { username: 'sysad', password: PASSWORD, totp: totpCode(adminSecret, later.getTime()) },
      later,
    );
    expect(next.principal.username).toBe('sysad');
    expect((await userRow('sysad')).totp_last_step).toBe(step + 1);
  });

  it('accepts a code only once even when two sign-ins race with it', async () => {
    const now = new Date(Date.now() + 5 * MINUTE);
    const code = totpCode(adminSecret, now.getTime());
    const results = await Promise.allSettled([
      signIn(db(), { username: 'sysad', password: PASSWORD, totp: code }, now),
      signIn(db(), { username: 'sysad', password: PASSWORD, totp: code }, now),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });
});
