import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The only SQL for saved searches.

export interface SavedSearchRow {
  name: string;
  query: string;
  filters: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

// The first key of the two-key advisory lock that serialises one user's saved-search changes.
const LOCK_NAMESPACE = 0x5953_0001;

/** Holds this user's saved searches still until the transaction ends, so the limit cannot be raced past. */
export async function lockUserSearches(trx: Db, userId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${userId}::int)`.execute(trx);
}

const columns = ['name', 'query', 'filters', 'created_at as createdAt', 'updated_at as updatedAt'] as const;

export function listSavedSearches(db: Db, userId: number): Promise<SavedSearchRow[]> {
  return db
    .selectFrom('saved_search')
    .select(columns)
    .where('user_id', '=', userId)
    .orderBy('name')
    .execute();
}

export function findSavedSearch(db: Db, userId: number, name: string): Promise<SavedSearchRow | undefined> {
  return db
    .selectFrom('saved_search')
    .select(columns)
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function countSavedSearches(db: Db, userId: number): Promise<number> {
  const { count } = await db
    .selectFrom('saved_search')
    .where('user_id', '=', userId)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function upsertSavedSearch(
  db: Db,
  userId: number,
  search: { name: string; query: string; filters: Record<string, unknown> },
  now: Date,
): Promise<SavedSearchRow> {
  const values = { query: search.query, filters: JSON.stringify(search.filters), updated_at: now };
  return db
    .insertInto('saved_search')
    .values({ user_id: userId, name: search.name, created_at: now, ...values })
    .onConflict((conflict) => conflict.columns(['user_id', 'name']).doUpdateSet(values))
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function deleteSavedSearch(db: Db, userId: number, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('saved_search')
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
