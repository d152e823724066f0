import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type ScopedQuery, withinScope } from './item.scope.js';

// The only SQL of a received item's origin: archive_item's received_* columns, written once, in the
// transaction that files the item from another agency's transfer package.

export interface ReceivedOrigin {
  /** 原档号: the sender's 档号. */
  originalCode: string;
  /** 来源单位: the sending organisation. */
  source: string;
  /** The sender's 移交批次. */
  batch: string;
}

/** Writes the origin of an item (in scope, with none yet); returns whether it was written. */
export async function writeReceived(
  trx: Db,
  scope: ScopedQuery,
  itemId: number,
  origin: ReceivedOrigin,
): Promise<boolean> {
  const result = await trx
    .updateTable('archive_item as i')
    .set({
      received_code: origin.originalCode.slice(0, 100),
      received_from: origin.source.slice(0, 200),
      received_batch: origin.batch.slice(0, 100),
    })
    .where(sql<boolean>`i.id = ${itemId}`)
    .where('i.received_code', 'is', null)
    .where(withinScope(scope))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
