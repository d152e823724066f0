import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { PrincipalContext } from '../../shared/access-context.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import type { Item } from './item.schema.js';
import { type ScopedQuery, withinScope } from './item.scope.js';

// The only SQL of the tombstone: an item's row reduced to what a destroyed archive keeps, and its
// kept versions reduced the same way (no personal field survives in any version).

export interface TombstoneColumns {
  title: string;
  changeReason: string;
  actor: string;
  at: Date;
  register: string;
  digest: string;
  /** Counted confirmed at once (re-applied); else 销毁中（待副本确认） until confirmTombstone. */
  confirmed?: boolean;
}

/** Reduces the row in place (version + 1); false when the version moved under the caller. */
export async function writeTombstone(
  trx: Db,
  itemId: number,
  expectedVersion: number,
  columns: TombstoneColumns,
): Promise<boolean> {
  const result = await trx
    .updateTable('archive_item')
    .set({
      title: columns.title,
      insured_number: null,
      id_number: null,
      id_number_index: null,
      person_name: null,
      handled_at: null,
      handler: null,
      amount: null,
      paper_location: null,
      extra: JSON.stringify({}),
      version: expectedVersion + 1,
      change_reason: columns.changeReason,
      updated_by: columns.actor,
      updated_at: columns.at,
      destroyed_register: columns.register,
      destroyed_at: columns.at,
      destroyed_digest: columns.digest,
      // The blind index moves out of the look-up column (no search by ID number finds a tombstone)
      // into one only the person's own window reads (SET reads the row's values before the update).
      destroyed_person_index: sql<string | null>`id_number_index`,
      destroyed_confirmed_at: columns.confirmed ? columns.at : null,
    })
    .where('id', '=', itemId)
    .where('version', '=', expectedVersion)
    .where('destroyed_register', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function versionSnapshots(
  trx: Db,
  itemId: number,
): Promise<Array<{ version: number; snapshot: Item }>> {
  const rows = await trx
    .selectFrom('archive_item_version')
    .select(['version', 'snapshot'])
    .where('item_id', '=', itemId)
    .orderBy('version')
    .execute();
  return rows.map((row) => ({ version: row.version, snapshot: row.snapshot as unknown as Item }));
}

export async function replaceVersionSnapshot(
  trx: Db,
  itemId: number,
  version: number,
  snapshot: Item,
): Promise<void> {
  await trx
    .updateTable('archive_item_version')
    .set({
      snapshot: JSON.stringify(snapshot),
      reason: snapshot.changeReason,
      changed_by: snapshot.updatedBy,
    })
    .where('item_id', '=', itemId)
    .where('version', '=', version)
    .execute();
}

/** Every replica confirmed the destroyed item's copies deleted: it stops being 销毁中（待副本确认）. */
export async function confirmTombstone(trx: Db, itemId: number, at: Date): Promise<void> {
  await trx
    .updateTable('archive_item')
    .set({ destroyed_confirmed_at: at })
    .where('id', '=', itemId)
    .where('destroyed_register', 'is not', null)
    .where('destroyed_confirmed_at', 'is', null)
    .execute();
}

/** The tombstone columns of items (which register destroyed each), by id; only destroyed ones. */
export async function destroyedOf(
  db: Db,
  itemIds: readonly number[],
): Promise<Map<number, { register: string; at: Date; digest: string }>> {
  if (itemIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('archive_item')
    .select(['id', 'destroyed_register', 'destroyed_at', 'destroyed_digest'])
    .where(sql<boolean>`id = any(${[...itemIds]}::bigint[])`)
    .where('destroyed_register', 'is not', null)
    .execute();
  return new Map(
    rows.map((row) => [
      row.id,
      {
        register: row.destroyed_register as string,
        at: row.destroyed_at as Date,
        digest: row.destroyed_digest as string,
      },
    ]),
  );
}

/** The 档号 of destroyed items still 销毁中（待副本确认）: a replica has not yet confirmed their copies deleted. */
export async function destroyingItems(db: Db, scope: ScopedQuery): Promise<Set<string>> {
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select('i.archive_code')
    .where('i.destroyed_register', 'is not', null)
    .where('i.destroyed_confirmed_at', 'is', null)
    .execute();
  return new Set(rows.map((row) => row.archive_code));
}

/** Every destroyed item, by register (verify's report). */
export async function destroyedByRegister(db: Db, scope: ScopedQuery): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('archive_item as i')
    .where(withinScope(scope))
    .select(['i.archive_code', 'i.destroyed_register'])
    .where('i.destroyed_register', 'is not', null)
    .orderBy('i.destroyed_register')
    .orderBy('i.archive_code')
    .execute();
  const out = new Map<string, string[]>();
  for (const row of rows) {
    const list = out.get(row.destroyed_register as string) ?? [];
    list.push(row.archive_code);
    out.set(row.destroyed_register as string, list);
  }
  return out;
}

/** A destroyed record of the person's own, as their window lists it: no content. */
export interface OwnDestroyed {
  archiveCode: string;
  /** 题名 as the register shows it (masked). */
  title: string;
  categoryName: string;
  year: number;
  retention: string;
  register: string;
  destroyedAt: Date;
}

/** The tombstones of the records that named the caller (their own ID number), newest first. */
export async function destroyedOfPerson(
  db: Db,
  access: PrincipalContext,
  limit = 200,
): Promise<OwnDestroyed[]> {
  const own = access.scope.idNumber === null ? null : idNumberIndex(access.scope.idNumber);
  if (!own) return [];
  const rows = await db
    .selectFrom('archive_item as i')
    .innerJoin('category as c', 'c.id', 'i.category_id')
    .select([
      'i.archive_code',
      'i.title',
      'c.name as category_name',
      'i.year',
      'i.retention',
      'i.destroyed_register',
      'i.destroyed_at',
    ])
    .where('i.destroyed_person_index', '=', own)
    .where('i.destroyed_register', 'is not', null)
    .orderBy('i.destroyed_at', 'desc')
    .orderBy('i.archive_code')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    archiveCode: row.archive_code,
    title: row.title,
    categoryName: row.category_name,
    year: row.year,
    retention: row.retention,
    register: row.destroyed_register as string,
    destroyedAt: new Date(row.destroyed_at as Date),
  }));
}
