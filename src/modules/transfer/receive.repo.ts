import { type Insertable, type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ReceiveBagTable, ReceiveItemTable } from './receive.tables.js';

// The only SQL of 接收: received bags and their items.

export type ReceivedBagRow = Selectable<ReceiveBagTable>;
export type ReceivedItemRow = Selectable<ReceiveItemTable>;

export async function insertReceived(
  trx: Db,
  bag: Insertable<ReceiveBagTable>,
  items: ReadonlyArray<Omit<Insertable<ReceiveItemTable>, 'bag_id'>>,
): Promise<number> {
  const { id } = await trx.insertInto('receive_bag').values(bag).returning('id').executeTakeFirstOrThrow();
  for (let start = 0; start < items.length; start += 200)
    await trx
      .insertInto('receive_item')
      .values(items.slice(start, start + 200).map((item) => ({ ...item, bag_id: id })))
      .execute();
  return id;
}

/**
 * Serialises receiving until the transaction ends, so the "already received" checks repeated after
 * it see every receive committed before: two uploads of one bag at once file its items once.
 */
export async function lockReceiving(trx: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('yidang.receive'))`.execute(trx);
}

/** A bag with this batch and digest received before and not wholly rejected. */
export async function findAcceptedBag(
  db: Db,
  batch: string,
  digest: string,
): Promise<ReceivedBagRow | undefined> {
  return db
    .selectFrom('receive_bag')
    .selectAll()
    .where('batch', '=', batch)
    .where('bag_digest', '=', digest)
    .where('state', '<>', 'rejected')
    .executeTakeFirst();
}

/** Of these sender 档号, the ones already received and filed here: source → the 档号 filed under. */
export async function alreadyReceived(
  db: Db,
  sender: string,
  codes: readonly string[],
): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const { rows } = await sql<{ source_archive_code: string; archive_code: string }>`
    select source_archive_code, archive_code from receive_item
    where accepted and source_organisation = ${sender} and source_archive_code = any(${[...codes]})`.execute(
    db,
  );
  return new Map(rows.map((r) => [r.source_archive_code, r.archive_code]));
}

/** Newest first; `fonds` null for every receiving fonds, else only those. */
export async function listReceivedBags(
  db: Db,
  limit: number,
  fonds: readonly string[] | null,
): Promise<ReceivedBagRow[]> {
  let query = db.selectFrom('receive_bag').selectAll().orderBy('id', 'desc').limit(limit);
  if (fonds)
    query = fonds.length > 0 ? query.where('fonds_code', 'in', [...fonds]) : query.where(sql<boolean>`false`);
  return query.execute();
}

/** The receipts of one batch (a bag may be received again after a rejection), newest first. */
export async function receivedBagsOfBatch(
  db: Db,
  batch: string,
  fonds: readonly string[] | null,
  limit: number,
): Promise<ReceivedBagRow[]> {
  let query = db
    .selectFrom('receive_bag')
    .selectAll()
    .where('batch', '=', batch)
    .orderBy('id', 'desc')
    .limit(limit);
  if (fonds)
    query = fonds.length > 0 ? query.where('fonds_code', 'in', [...fonds]) : query.where(sql<boolean>`false`);
  return query.execute();
}

/** Per received bag: its items accepted and rejected. */
export async function receivedCounts(
  db: Db,
  bagIds: readonly number[],
): Promise<Map<number, { accepted: number; rejected: number }>> {
  const out = new Map<number, { accepted: number; rejected: number }>();
  if (bagIds.length === 0) return out;
  const rows = await db
    .selectFrom('receive_item')
    .select(['bag_id', 'accepted', (eb) => eb.fn.countAll<number>().as('count')])
    .where('bag_id', 'in', [...bagIds])
    .groupBy(['bag_id', 'accepted'])
    .execute();
  for (const row of rows) {
    const entry = out.get(row.bag_id) ?? { accepted: 0, rejected: 0 };
    entry[row.accepted ? 'accepted' : 'rejected'] += Number(row.count);
    out.set(row.bag_id, entry);
  }
  return out;
}

export async function findReceivedBag(db: Db, id: number): Promise<ReceivedBagRow | undefined> {
  return db.selectFrom('receive_bag').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function receivedItems(db: Db, bagId: number): Promise<Omit<ReceivedItemRow, 'history'>[]> {
  return db
    .selectFrom('receive_item')
    .select([
      'bag_id',
      'seq',
      'source_archive_code',
      'source_organisation',
      'accepted',
      'reason',
      'item_id',
      'archive_code',
      'checks',
    ])
    .where('bag_id', '=', bagId)
    .orderBy('seq')
    .execute();
}

/** Where an item filed here came from (its sender's 档号, organisation, batch), for the item's page. */
export async function receivedSource(
  db: Db,
  itemId: number,
): Promise<{ sourceArchiveCode: string; sender: string; batch: string; history: unknown } | undefined> {
  const row = await db
    .selectFrom('receive_item')
    .innerJoin('receive_bag', 'receive_bag.id', 'receive_item.bag_id')
    .select([
      'receive_item.source_archive_code',
      'receive_item.source_organisation',
      'receive_bag.batch',
      'receive_item.history',
    ])
    .where('receive_item.item_id', '=', itemId)
    .executeTakeFirst();
  return (
    row && {
      sourceArchiveCode: row.source_archive_code,
      sender: row.source_organisation,
      batch: row.batch,
      history: row.history,
    }
  );
}
