import { afterAll, beforeAll } from 'vitest';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { payloadOf } from './events.js';
import { FONDS } from './fixtures.js';

// Shared set-up for the src/modules/access/user.service.*.test.ts files: accounts on a real database.
// Each test file calls useUserDatabase() once at its top level and gets its own database.

/** The current test file's database, set by useUserDatabase's beforeAll (an ESM live binding). */
export let database: TestDatabase;
export const PASSWORD = 'Archive-Test-Passw0rd!';
export const ACTOR = '系统管理员甲';

/** Opens the test database with the fonds J013 before the file's tests, and closes it after them. */
export function useUserDatabase(): void {
  beforeAll(async () => {
    database = await openTestDatabase();
    await createFonds(database.db, FONDS, 'test');
  });
  afterAll(() => database?.close());
}

export const db = () => database.db;

export async function eventsOf(action: string, subject?: string) {
  let query = db().selectFrom('integrity_event').selectAll().where('action', '=', action);
  if (subject !== undefined) query = query.where('subject', '=', subject);
  const rows = await query.orderBy('seq').execute();
  return rows.map((row) => ({ ...row, data: payloadOf(row.payload) }));
}

export const userCount = async () =>
  Number(
    (
      await db()
        .selectFrom('app_user')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
