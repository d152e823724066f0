import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type ScopedQuery, withinScope } from './item.scope.js';

// The only SQL of the 已移交 mark: archive_item's transferred_* columns, written once the receiver's
// 回执 is recorded and read back for the transfer batch's logged state.

export interface TransferredMark {
  batch: string;
  at: Date;
  keepUntil: string;
}

/** Marks the items (in scope, not yet marked); returns how many were marked. */
export async function writeTransferred(
  trx: Db,
  scope: ScopedQuery,
  itemIds: readonly number[],
  mark: TransferredMark,
): Promise<number> {
  if (itemIds.length === 0) return 0;
  const result = await trx
    .updateTable('archive_item as i')
    .set({ transferred_batch: mark.batch, transferred_at: mark.at, transfer_keep_until: mark.keepUntil })
    .where(sql<boolean>`i.id = any(${[...itemIds]}::bigint[])`)
    .where('i.transferred_batch', 'is', null)
    .where(withinScope(scope))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The mark of each of these items that has one (in scope), by id. */
export async function readTransferred(
  db: Db,
  scope: ScopedQuery,
  itemIds: readonly number[],
): Promise<Map<number, TransferredMark>> {
  if (itemIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('archive_item as i')
    .select(['i.id', 'i.transferred_batch', 'i.transferred_at', 'i.transfer_keep_until'])
    .where(sql<boolean>`i.id = any(${[...itemIds]}::bigint[])`)
    .where('i.transferred_batch', 'is not', null)
    .where(withinScope(scope))
    .execute();
  return new Map(
    rows.map((row) => [
      Number(row.id),
      {
        batch: row.transferred_batch as string,
        at: row.transferred_at as Date,
        keepUntil: row.transfer_keep_until as string,
      },
    ]),
  );
}
