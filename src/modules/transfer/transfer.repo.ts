import { type Insertable, type RawBuilder, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import { type BatchState, keyFingerprint, loggedSelector, type TransferItemState } from './transfer.names.js';
import type { TransferBatchTable, TransferItemTable } from './transfer.tables.js';

// The only SQL of transfer batches: the batch, its items and the per-fonds number sequence.

export type BatchRow = Selectable<TransferBatchTable>;
export type BatchItemRow = Selectable<TransferItemTable>;
export type NewBatchItem = Omit<Insertable<TransferItemTable>, 'batch_id'>;

/** The next number of the fonds' year (YJ-<fonds>-<year>-<n>); the row's lock orders concurrent draws. */
export async function nextBatchNumber(trx: Db, fondsCode: string, year: number): Promise<number> {
  const { rows } = await sql<{ last_number: number }>`
    insert into transfer_sequence (fonds_code, year, last_number) values (${fondsCode}, ${year}, 1)
    on conflict (fonds_code, year) do update set last_number = transfer_sequence.last_number + 1
    returning last_number`.execute(trx);
  return Number(rows[0]?.last_number);
}

export async function insertBatch(
  trx: Db,
  batch: Insertable<TransferBatchTable>,
  items: readonly NewBatchItem[],
): Promise<number> {
  const { id } = await trx
    .insertInto('transfer_batch')
    .values(batch)
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let start = 0; start < items.length; start += 500)
    await trx
      .insertInto('transfer_item')
      .values(items.slice(start, start + 500).map((item) => ({ ...item, batch_id: id })))
      .execute();
  return id;
}

export async function findBatch(db: Db, code: string, forUpdate = false): Promise<BatchRow | undefined> {
  let query = db.selectFrom('transfer_batch').selectAll().where('code', '=', code);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function listBatches(
  db: Db,
  filter: { fonds?: readonly string[] | null; state?: BatchState; limit: number },
): Promise<BatchRow[]> {
  let query = db.selectFrom('transfer_batch').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.fonds) {
    if (filter.fonds.length === 0) return Promise.resolve([]);
    query = query.where('fonds_code', 'in', [...filter.fonds]);
  }
  if (filter.state) query = query.where('state', '=', filter.state);
  return query.execute();
}

export async function batchItems(
  db: Db,
  batchId: number,
  states?: readonly TransferItemState[],
): Promise<BatchItemRow[]> {
  let query = db.selectFrom('transfer_item').selectAll().where('batch_id', '=', batchId).orderBy('seq');
  if (states) query = query.where('state', 'in', [...states]);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
}

/** Per batch: items by state (for lists). */
export async function itemCounts(
  db: Db,
  batchIds: readonly number[],
): Promise<Map<number, Record<TransferItemState, number>>> {
  const out = new Map<number, Record<TransferItemState, number>>();
  if (batchIds.length === 0) return out;
  const rows = await db
    .selectFrom('transfer_item')
    .select(['batch_id', 'state', (eb) => eb.fn.countAll<number>().as('count')])
    .where('batch_id', 'in', [...batchIds])
    .groupBy(['batch_id', 'state'])
    .execute();
  for (const row of rows) {
    const entry = out.get(row.batch_id) ?? { included: 0, refused: 0, accepted: 0, rejected: 0 };
    entry[row.state] = Number(row.count);
    out.set(row.batch_id, entry);
  }
  return out;
}

/** Moves a batch from one of `from` only if it is still there: a second click finds nothing to move. */
export async function moveBatch(
  trx: Db,
  id: number,
  from: readonly BatchState[],
  change: Updateable<TransferBatchTable>,
): Promise<boolean> {
  const result = await trx
    .updateTable('transfer_batch')
    .set(change)
    .where('id', '=', id)
    .where('state', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The receiver's outcome per included item. */
export async function settleItems(
  trx: Db,
  batchId: number,
  accepted: readonly number[],
  rejected: ReadonlyArray<{ itemId: number; reason: string }>,
): Promise<void> {
  if (accepted.length > 0)
    await trx
      .updateTable('transfer_item')
      .set({ state: 'accepted' })
      .where('batch_id', '=', batchId)
      .where(sql<boolean>`item_id = any(${[...accepted]}::bigint[])`)
      .execute();
  for (const entry of rejected)
    await trx
      .updateTable('transfer_item')
      .set({ state: 'rejected', reason: 'receiver', detail: entry.reason.slice(0, 500) })
      .where('batch_id', '=', batchId)
      .where('item_id', '=', entry.itemId)
      .execute();
}

/** Items on an open batch (other than `exceptId`): they may be on no other. */
export function itemsOnOpenBatchesSql(exceptId = 0): RawBuilder<{ item_id: number }> {
  return sql<{ item_id: number }>`select t.item_id from transfer_item t
    join transfer_batch b on b.id = t.batch_id
    where b.id <> ${exceptId} and b.state in ('drawn', 'exported') and t.state = 'included'`;
}

/** Items a receiver accepted: they are 已移交. */
export function itemsTransferredSql(): RawBuilder<{ item_id: number }> {
  return sql<{ item_id: number }>`select t.item_id from transfer_item t where t.state = 'accepted'`;
}

type ItemMark = { batch: string; at: Date; keepUntil: string };

function markOf(marks: ReadonlyMap<number, ItemMark>, code: string, itemId: number) {
  const mark = marks.get(Number(itemId));
  return mark?.batch === code ? { at: iso(mark.at), keepUntil: mark.keepUntil } : null;
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

/** The batch's state as its events carry it (the log keeps its digest; verify recomputes it). */
export function stateOf(
  batch: BatchRow,
  items: readonly BatchItemRow[],
  marks: ReadonlyMap<number, ItemMark>,
): object {
  return {
    code: batch.code,
    fonds: batch.fonds_code,
    kind: batch.kind,
    selector: loggedSelector(batch.selector),
    receiver: batch.receiver,
    receiverKey: keyFingerprint(batch.receiver_key),
    state: batch.state,
    drawnBy: batch.drawn_by,
    exported:
      batch.export_digest === null
        ? null
        : { digest: batch.export_digest, algorithm: batch.export_algorithm, oxum: batch.payload_oxum },
    receipt:
      batch.receipt_digest === null
        ? null
        : {
            digest: batch.receipt_digest,
            by: batch.received_by,
            at: iso(batch.received_at),
            acceptedBy: batch.accepted_by,
            keepUntil: batch.keep_until,
          },
    withdrawn: batch.withdrawn_by === null ? null : { by: batch.withdrawn_by, reason: batch.withdraw_reason },
    items: items.map((item) => ({
      seq: item.seq,
      itemId: item.item_id,
      item: item.archive_code,
      version: item.item_version,
      state: item.state,
      reason: item.reason,
      // The 已移交 mark this batch set on the item (G5: clearing it would make the item editable).
      marked: markOf(marks, batch.code, item.item_id),
    })),
  };
}

/** The batch's state; `marks`: the 已移交 marks of its items (only an accepted batch has any). */
export async function batchState(
  db: Db,
  id: number,
  marks: ReadonlyMap<number, ItemMark> = new Map(),
): Promise<object> {
  const batch = await db
    .selectFrom('transfer_batch')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return stateOf(batch, await batchItems(db, id), marks);
}

export function allBatchRows(db: Db): Promise<BatchRow[]> {
  return db.selectFrom('transfer_batch').selectAll().orderBy('id').execute();
}
