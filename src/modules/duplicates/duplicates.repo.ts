import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { archiveCodeOf, comparableItems } from '../catalog/item.queries.js';

// The only SQL of duplicate flags: finding the same business filed before, flags, and resolving them.
// The items compared are the catalog's (its comparableItems fragment); a serial's other items come
// from push's receipts, passed in.

export interface NewFlag {
  id: number;
  itemId: number;
  otherItemId: number;
  rule: 'same_business' | 'same_serial';
  fields: string[];
  archiveCode: string;
  otherArchiveCode: string;
}

/** Key fields compared between two items (n, o): the names of those whose values differ. */
const differing = sql`array_remove(array[
    case when n.person_name is distinct from o.person_name then 'name' end,
    case when n.id_number_index is distinct from o.id_number_index then 'idNumber' end,
    case when n.amount is distinct from o.amount then 'amount' end,
    case when n.doc_date is distinct from o.doc_date then 'date' end,
    case when n.title is distinct from o.title then 'title' end,
    case when n.handling_agency is distinct from o.handling_agency then 'agency' end,
    case when n.handler is distinct from o.handler then 'handler' end,
    case when n.doc_number is distinct from o.doc_number then 'docNumber' end,
    case when n.pooling_region is distinct from o.pooling_region then 'poolingRegion' end
  ]::text[], null)`;

async function insertFlags(db: Db, rule: NewFlag['rule'], pairs: RawBuilder<unknown>): Promise<NewFlag[]> {
  const result = await sql<{
    id: number;
    item_id: number;
    other_item_id: number;
    fields: string[];
    code: string;
    other_code: string;
  }>`
    with pairs as (${pairs}), added as (
      insert into duplicate_flag (item_id, other_item_id, rule, fields)
      select item_id, other_item_id, ${rule}, fields from pairs
      on conflict do nothing
      returning id, item_id, other_item_id, fields
    )
    select a.id, a.item_id, a.other_item_id, a.fields, ${archiveCodeOf(sql`a.item_id`)} as code,
      ${archiveCodeOf(sql`a.other_item_id`)} as other_code
    from added a
    order by a.id`.execute(db);
  return result.rows.map((row) => ({
    id: Number(row.id),
    itemId: Number(row.item_id),
    otherItemId: Number(row.other_item_id),
    rule,
    fields: row.fields,
    archiveCode: row.code,
    otherArchiveCode: row.other_code,
  }));
}

/**
 * Flags each of these items against every earlier item of the same 参保号 and 业务类型 whose 办理时间 is
 * within the window (earlier items of the same batch included).
 */
export function flagSameBusiness(
  db: Db,
  itemIds: readonly number[],
  windowHours: number,
): Promise<NewFlag[]> {
  if (itemIds.length === 0) return Promise.resolve([]);
  const window = sql`make_interval(hours => ${windowHours})`;
  return insertFlags(
    db,
    'same_business',
    sql`select n.id as item_id, o.id as other_item_id, ${differing} as fields
      from ${comparableItems()} n
      join ${comparableItems()} o on o.insured_number = n.insured_number and o.business_type = n.business_type
        and o.handled_at between n.handled_at - ${window} and n.handled_at + ${window} and o.id < n.id
      where n.id in (${sql.join(itemIds.map((id) => sql`${id}`))})
        and n.insured_number is not null and n.business_type is not null and n.handled_at is not null`,
  );
}

/** Flags an item pushed under a serial other source systems already pushed (their items: `otherIds`). */
export function flagSameSerial(db: Db, itemId: number, otherIds: readonly number[]): Promise<NewFlag[]> {
  if (otherIds.length === 0) return Promise.resolve([]);
  return insertFlags(
    db,
    'same_serial',
    sql`select n.id as item_id, o.id as other_item_id, ${differing} as fields
      from ${comparableItems()} o
      join ${comparableItems()} n on n.id = ${itemId}
      where o.id in (${sql.join(otherIds.map((id) => sql`${id}`))}) and o.id <> ${itemId}`,
  );
}

export interface FlagRow {
  id: number;
  itemId: number;
  otherItemId: number;
  rule: 'same_business' | 'same_serial';
  fields: string[];
  status: 'open' | 'kept' | 'merged';
  keptItemId: number | null;
  flaggedAt: Date;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  reason: string | null;
}

const flagColumns = [
  'id',
  'item_id',
  'other_item_id',
  'rule',
  'fields',
  'status',
  'kept_item_id',
  'flagged_at',
  'resolved_by',
  'resolved_at',
  'reason',
] as const;

type RawFlag = {
  id: number;
  item_id: number;
  other_item_id: number;
  rule: FlagRow['rule'];
  fields: string[];
  status: FlagRow['status'];
  kept_item_id: number | null;
  flagged_at: Date;
  resolved_by: string | null;
  resolved_at: Date | null;
  reason: string | null;
};

const toFlag = (row: RawFlag): FlagRow => ({
  id: Number(row.id),
  itemId: Number(row.item_id),
  otherItemId: Number(row.other_item_id),
  rule: row.rule,
  fields: row.fields,
  status: row.status,
  keptItemId: row.kept_item_id === null ? null : Number(row.kept_item_id),
  flaggedAt: new Date(row.flagged_at),
  resolvedBy: row.resolved_by,
  resolvedAt: row.resolved_at ? new Date(row.resolved_at) : null,
  reason: row.reason,
});

/** Flags newest first, after a cursor (an id), of one status or all. */
export async function listFlags(
  db: Db,
  options: { status?: FlagRow['status']; before?: number; limit: number },
): Promise<FlagRow[]> {
  let query = db.selectFrom('duplicate_flag').select(flagColumns).orderBy('id', 'desc').limit(options.limit);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return (await query.execute()).map((row) => toFlag(row as RawFlag));
}

/** A flag, locked for a decision. */
export async function lockFlag(db: Db, id: number): Promise<FlagRow | undefined> {
  const row = await db
    .selectFrom('duplicate_flag')
    .select(flagColumns)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row ? toFlag(row as RawFlag) : undefined;
}

export async function resolveFlag(
  db: Db,
  id: number,
  decision: { status: 'kept' | 'merged'; keptItemId: number | null; actor: string; reason: string },
): Promise<void> {
  await db
    .updateTable('duplicate_flag')
    .set({
      status: decision.status,
      kept_item_id: decision.keptItemId,
      resolved_by: decision.actor,
      resolved_at: new Date(),
      reason: decision.reason,
    })
    .where('id', '=', id)
    .execute();
}
