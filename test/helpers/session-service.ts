import { afterAll, beforeAll } from 'vitest';
import { signIn } from '../../src/modules/access/session.service.js';
import { createUser } from '../../src/modules/access/user.service.js';
import { ownerHasTakenOver } from './access.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { payloadOf } from './events.js';
import { failure } from './fixtures.js';

// Shared set-up for the src/modules/access/session.service.*.test.ts files: signing in, lockout, the
// second factor, sessions and API tokens on a real database. Time is simulated by passing `now`;
// sessions start from the real clock, since the database stamps them. Each test file calls
// useSessionDatabase() once at its top level and gets its own database with the same accounts.

let database: TestDatabase;
export const PASSWORD = 'Archive-Test-Passw0rd!';
export const WRONG = 'Wrong-Passw0rd-123!';
export const MINUTE = 60_000;
/** The TOTP secret of the administrator `sysad`, set by useSessionDatabase's beforeAll (an ESM live binding). */
export let adminSecret: string;

export const db = () => database.db;

/** Opens the test database and creates the accounts before the file's tests, and closes it after them. */
export function useSessionDatabase(): void {
  beforeAll(async () => {
    database = await openTestDatabase();
    const users: [string, string[]][] = [
      ['clerk1', ['clerk']],
      ['locky', ['clerk']],
      ['resetter', ['clerk']],
      ['disabled1', ['clerk']],
      ['tokenuser', ['clerk']],
      ['sysad', ['sysadmin']],
    ];
    const created = await Promise.all(
      users.map(([username, roles]) => createUser(db(), { username, password: PASSWORD, roles }, 'test')),
    );
    adminSecret = created[5]?.totpSecret as string;
    for (const [username] of users) await ownerHasTakenOver(db(), username);
  });
  afterAll(() => database?.close());
}

export async function eventsOf(action: string, subject?: string) {
  let query = db().selectFrom('integrity_event').selectAll().where('action', '=', action);
  if (subject !== undefined) query = query.where('subject', '=', subject);
  const rows = await query.orderBy('seq').execute();
  return rows.map((row) => ({ ...row, data: payloadOf(row.payload) }));
}

export async function userRow(username: string) {
  return db()
    .selectFrom('app_user')
    .select(['failed_attempts', 'locked_until', 'totp_last_step'])
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
}

export const wrongPasswordMessage = async () =>
  (await failure(signIn(db(), { username: 'clerk1', password: 'not-the-password' }))).message;
