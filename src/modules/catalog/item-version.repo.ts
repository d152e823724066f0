import type { Db } from '../../db/database.js';
import type { SystemContext } from '../../shared/access-context.js';
import { openIdNumber, sealIdNumber } from '../../shared/field-cipher.js';
import { iso } from './item.repo.js';
import type { Item, ItemVersion } from './item.schema.js';

// The only SQL for the kept versions of items (历史版本): each replaced version whole, its ID number
// sealed like the current row's.

export async function insertItemVersion(db: Db, item: Item): Promise<void> {
  await db
    .insertInto('archive_item_version')
    .values({
      item_id: item.id,
      version: item.version,
      snapshot: JSON.stringify({ ...item, idNumber: sealIdNumber(item.idNumber) }),
      changed_by: item.updatedBy,
      changed_at: item.updatedAt,
      reason: item.changeReason,
    })
    .execute();
}

/** A kept version as stored, with its ID number decrypted. */
function openSnapshot(snapshot: unknown): Item {
  const item = snapshot as Item;
  return { ...item, idNumber: openIdNumber(item.idNumber) };
}

export async function listItemVersions(db: Db, itemId: number): Promise<ItemVersion[]> {
  const rows = await db
    .selectFrom('archive_item_version')
    .select(['version', 'changed_by', 'changed_at', 'reason', 'snapshot'])
    .where('item_id', '=', itemId)
    .orderBy('version')
    .execute();
  return rows.map((row) => ({
    version: row.version,
    changedBy: row.changed_by,
    changedAt: iso(row.changed_at) as string,
    reason: row.reason,
    item: openSnapshot(row.snapshot),
  }));
}

/** Every kept version with the item it belongs to, in batches (verify). */
export async function itemVersionsAfter(
  db: Db,
  after: { itemId: number; version: number },
  limit: number,
  // Every version of every item: only a system caller (verify) holds one.
  _system: SystemContext,
): Promise<Array<{ itemId: number; version: number; snapshot: Item }>> {
  const rows = await db
    .selectFrom('archive_item_version')
    .select(['item_id as itemId', 'version', 'snapshot'])
    .where((eb) =>
      eb.or([
        eb('item_id', '>', after.itemId),
        eb.and([eb('item_id', '=', after.itemId), eb('version', '>', after.version)]),
      ]),
    )
    .orderBy('item_id')
    .orderBy('version')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, snapshot: openSnapshot(row.snapshot) }));
}
