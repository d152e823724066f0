import type { Db } from '../../src/db/database.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { ScopeRow } from '../../src/modules/access/access.repo.js';
import { permissionsOf, type Role } from '../../src/modules/access/roles.js';
import { createApiToken } from '../../src/modules/access/session.service.js';
import { userState, userStateSubject } from '../../src/modules/access/state.repo.js';
import { createUser } from '../../src/modules/access/user.service.js';
import { appendEvent } from '../../src/modules/integrity/event-log.js';

// Accounts for tests: a user with roles and a scope, signed in through a real API token (the same
// path a business system takes), so the access layer is exercised, not bypassed.

export const TEST_PASSWORD = 'Archive-Test-Passw0rd!';

/** Everything, everywhere: one scope row with no restriction. */
export const ALL_SCOPE: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];

export interface TestUser {
  username: string;
  token: string;
  /** Headers for app.inject or fetch. */
  headers: { authorization: string };
  totpSecret: string | null;
}

let counter = 0;

/**
 * Marks an account as if its owner had already changed the password someone else set and (an
 * administrator) re-enrolled the second factor shown at creation, as any account in use has: tests
 * of other things sign in with TEST_PASSWORD and the secret createUser returned.
 */
export async function ownerHasTakenOver(db: Db, username: string): Promise<void> {
  // Logged with the account's new state as the real change is, so `verify` still passes.
  await inTransaction(db, async (trx) => {
    const user = await trx
      .updateTable('app_user')
      .set({ password_must_change: false, totp_must_renew: false })
      .where('username', '=', username)
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendEvent(trx, {
      actor: 'test',
      action: 'user.password_changed',
      subject: userStateSubject(username),
      payload: { byOwner: true },
      state: await userState(trx, user.id),
    });
  });
}

export async function testUser(
  db: Db,
  options: { roles: Role[]; scope?: ScopeRow[]; username?: string; idNumber?: string },
): Promise<TestUser> {
  counter += 1;
  const username = options.username ?? `${options.roles.join('-')}-${counter}`;
  const created = await createUser(
    db,
    {
      username,
      password: TEST_PASSWORD,
      roles: options.roles,
      scope: options.scope ?? ALL_SCOPE,
      idNumber: options.idNumber,
    },
    'test',
  );
  await ownerHasTakenOver(db, username);
  const permissions = [...permissionsOf(options.roles)];
  const { token } = await createApiToken(db, { username, name: 'test', permissions, days: 1 }, 'test');
  return { username, token, headers: { authorization: `Bearer ${token}` }, totpSecret: created.totpSecret };
}
