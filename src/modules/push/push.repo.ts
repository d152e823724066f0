import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The only SQL of ingest: receipts of pushed archives, claimed by (source, 业务流水号), and the lag report.

export interface Receipt {
  source: string;
  serial: string;
  payloadDigest: string;
  itemId: number | null;
  archiveCode: string | null;
  handledAt: Date;
  receivedAt: Date;
  lagSeconds: number;
}

/**
 * Claims the key for this filing. False: another filing holds it (on PostgreSQL a concurrent claim
 * waits for the other transaction and then sees it committed, so two retries never both file).
 */
export async function claimReceipt(
  db: Db,
  receipt: Omit<Receipt, 'itemId' | 'archiveCode'> & { actor: string },
): Promise<boolean> {
  const claimed = await db
    .insertInto('ingest_receipt')
    .values({
      source: receipt.source,
      serial: receipt.serial,
      payload_digest: receipt.payloadDigest,
      handled_at: receipt.handledAt,
      received_at: receipt.receivedAt,
      lag_seconds: receipt.lagSeconds,
      actor: receipt.actor,
    })
    .onConflict((conflict) => conflict.columns(['source', 'serial']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return claimed !== undefined;
}

export async function completeReceipt(
  db: Db,
  key: { source: string; serial: string },
  item: { id: number; archiveCode: string },
): Promise<void> {
  await db
    .updateTable('ingest_receipt')
    .set({ item_id: item.id, archive_code: item.archiveCode })
    .where('source', '=', key.source)
    .where('serial', '=', key.serial)
    .execute();
}

/** Items other source systems pushed under this serial (the duplicates check's same-serial rule). */
export async function itemsOfSerialElsewhere(
  db: Db,
  key: { source: string; serial: string },
  exceptItemId: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('ingest_receipt')
    .select('item_id')
    .where('serial', '=', key.serial)
    .where('source', '<>', key.source)
    .where('item_id', 'is not', null)
    .where('item_id', '<>', exceptItemId)
    .execute();
  return rows.map((row) => Number(row.item_id));
}

export async function findReceipt(db: Db, source: string, serial: string): Promise<Receipt | undefined> {
  const row = await db
    .selectFrom('ingest_receipt')
    .select([
      'source',
      'serial',
      'payload_digest',
      'item_id',
      'archive_code',
      'handled_at',
      'received_at',
      'lag_seconds',
    ])
    .where('source', '=', source)
    .where('serial', '=', serial)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    source: row.source,
    serial: row.serial,
    payloadDigest: row.payload_digest,
    itemId: row.item_id === null ? null : Number(row.item_id),
    archiveCode: row.archive_code,
    handledAt: new Date(row.handled_at),
    receivedAt: new Date(row.received_at),
    lagSeconds: row.lag_seconds,
  };
}

export interface LagRow {
  /** Null: all sources together. */
  source: string | null;
  count: number;
  medianSeconds: number;
  p95Seconds: number;
  maxSeconds: number;
  overDay: number;
}

/** Lag from 办理时间 to filing of the archives received in [from, to), by source and overall. */
export async function lagBySource(
  db: Db,
  range: { from: Date; to: Date; source?: string },
): Promise<LagRow[]> {
  const source = range.source === undefined ? sql`true` : sql`source = ${range.source}`;
  const result = await sql<{
    source: string | null;
    count: number;
    median: number;
    p95: number;
    max: number;
    over_day: number;
  }>`
    select source, count(*)::int as count,
      percentile_cont(0.5) within group (order by lag_seconds)::float8 as median,
      percentile_cont(0.95) within group (order by lag_seconds)::float8 as p95,
      max(lag_seconds)::int as max,
      (count(*) filter (where lag_seconds > 86400))::int as over_day
    from ingest_receipt
    where received_at >= ${range.from} and received_at < ${range.to} and ${source}
      and item_id is not null
    group by rollup (source)
    order by source nulls last`.execute(db);
  return result.rows.map((row) => ({
    source: row.source,
    count: Number(row.count),
    medianSeconds: Number(row.median),
    p95Seconds: Number(row.p95),
    maxSeconds: Number(row.max),
    overDay: Number(row.over_day),
  }));
}
