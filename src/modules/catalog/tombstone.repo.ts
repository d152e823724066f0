import type { Db } from '../../db/database.js';
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
    .set({ snapshot: JSON.stringify(snapshot) })
    .where('item_id', '=', itemId)
    .where('version', '=', version)
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
    .where('id', 'in', [...itemIds])
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
