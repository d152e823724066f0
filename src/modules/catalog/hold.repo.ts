import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { HoldSelectorKind, HoldSource } from './hold.tables.js';
import { type ScopedQuery, withinScope } from './item.scope.js';

// The SQL of legal holds (冻结). Which items a hold covers is always evaluated, never snapshotted
// (save the explicit lists): a query hold holds the matching items filed after it, too. A category
// names its whole branch, resolved when asked, so a sub-category added later is covered.

export interface HoldRow {
  id: number;
  code: string;
  fonds_code: string;
  selector_kind: HoldSelectorKind;
  category_id: number | null;
  category_code: string | null;
  category_name: string | null;
  year: number | null;
  id_number_index: string | null;
  id_number_masked: string | null;
  insured_number: string | null;
  org_code: string | null;
  institution_code: string | null;
  business_type: string | null;
  reason: string;
  case_ref: string | null;
  source: HoldSource;
  placed_by: string;
  placed_at: Date;
  lifted_by: string | null;
  lifted_at: Date | null;
  lift_reason: string | null;
}

export interface HoldSelectorRow {
  kind: HoldSelectorKind;
  categoryId: number | null;
  year: number | null;
  idNumberIndex: string | null;
  idNumberMasked: string | null;
  insuredNumber: string | null;
  org: string | null;
  institution: string | null;
  businessType: string | null;
}

/**
 * Whether item `i` matches every field hold `h`'s selector sets (its category through hold_branch).
 * Each comparison takes the item column's own type and collation, so its index serves the join.
 */
const SELECTOR_MATCHES = sql`h.selector_kind <> 'items' and i.fonds_code = h.fonds_code
  and (h.category_id is null or exists (select 1 from hold_branch b
    where b.hold_id = h.id and b.category_id = i.category_id))
  and (h.year is null or i.year = h.year)
  and (h.id_number_index is null or i.id_number_index = h.id_number_index::char(32))
  and (h.insured_number is null or i.insured_number = h.insured_number collate "C")
  and (h.org_code is null or i.org_code = h.org_code)
  and (h.institution_code is null or i.extra ->> 'institutionCode' = h.institution_code)
  and (h.business_type is null or i.business_type = h.business_type)`;

/**
 * (hold_id, item_id) of the holds `holds` admits (a condition over legal_hold `h`), restricted to
 * the items `items` admits (a condition over archive_item `i`): the explicit lists and the
 * evaluated selectors. One statement; the category branches are resolved once in it. A person's
 * holds reach their items through the blind index's index and category-and-year holds through
 * (category_id, year); only the other query holds compare every item of their fonds.
 */
function heldPairsSql(
  holds: RawBuilder<unknown>,
  items: RawBuilder<unknown> = sql`true`,
): RawBuilder<{ hold_id: number; item_id: number }> {
  return sql`with recursive hold_branch (hold_id, category_id) as (
      select h.id, h.category_id from legal_hold h where h.category_id is not null and ${holds}
      union all
      select b.hold_id, c.id from hold_branch b join category c on c.parent_id = b.category_id
    )
    select hi.hold_id, hi.item_id from legal_hold_item hi
      join legal_hold h on h.id = hi.hold_id
      join archive_item i on i.id = hi.item_id
      where ${holds} and ${items}
    union
    select h.id as hold_id, i.id as item_id from legal_hold h
      join archive_item i on i.id_number_index = h.id_number_index::char(32)
      where h.id_number_index is not null and ${holds} and ${items} and ${SELECTOR_MATCHES}
    union
    select h.id as hold_id, i.id as item_id from legal_hold h
      join hold_branch b on b.hold_id = h.id
      join archive_item i on i.category_id = b.category_id and i.year = h.year
      where h.id_number_index is null and h.year is not null and ${holds} and ${items} and ${SELECTOR_MATCHES}
    union
    select h.id as hold_id, i.id as item_id from legal_hold h
      join archive_item i on i.fonds_code = h.fonds_code
      where h.id_number_index is null and (h.category_id is null or h.year is null)
        and ${holds} and ${items} and ${SELECTOR_MATCHES}`;
}

const ACTIVE = sql`h.lifted_at is null`;

/**
 * Every item under an active hold, as a statement of one column `item_id` to compose
 * (`i.id in (${heldItemsSql()})`): ids only, for destruction and transfer to refuse held items.
 */
export function heldItemsSql(): RawBuilder<{ item_id: number }> {
  return sql`select distinct held.item_id from (${heldPairsSql(ACTIVE)}) held`;
}

const HOLD_COLUMNS = sql`h.id, h.code, h.fonds_code, h.selector_kind, h.category_id, c.code as category_code,
  c.name as category_name, h.year, h.id_number_index, h.id_number_masked, h.insured_number, h.org_code,
  h.institution_code, h.business_type, h.reason, h.case_ref, h.source, h.placed_by, h.placed_at,
  h.lifted_by, h.lifted_at, h.lift_reason`;

/** The next number of the year's holds (DJ-<year>-<n>), taken under the counter's row lock. */
export async function nextHoldNumber(trx: Db, year: number): Promise<number> {
  const row = await sql<{ last_number: number }>`insert into legal_hold_sequence (year, last_number)
    values (${year}, 1)
    on conflict (year) do update set last_number = legal_hold_sequence.last_number + 1
    returning last_number`.execute(trx);
  return Number(row.rows[0]?.last_number);
}

export async function insertHold(
  trx: Db,
  hold: {
    code: string;
    fondsCode: string;
    selector: HoldSelectorRow;
    reason: string;
    caseRef: string | null;
    source: HoldSource;
    placedBy: string;
    itemIds: readonly number[];
  },
): Promise<number> {
  const { selector } = hold;
  const inserted = await trx
    .insertInto('legal_hold')
    .values({
      code: hold.code,
      fonds_code: hold.fondsCode,
      selector_kind: selector.kind,
      category_id: selector.categoryId,
      year: selector.year,
      id_number_index: selector.idNumberIndex,
      id_number_masked: selector.idNumberMasked,
      insured_number: selector.insuredNumber,
      org_code: selector.org,
      institution_code: selector.institution,
      business_type: selector.businessType,
      reason: hold.reason,
      case_ref: hold.caseRef,
      source: hold.source,
      placed_by: hold.placedBy,
      lifted_by: null,
      lift_reason: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (hold.itemIds.length > 0)
    await trx
      .insertInto('legal_hold_item')
      .values(hold.itemIds.map((itemId) => ({ hold_id: inserted.id, item_id: itemId })))
      .execute();
  return inserted.id;
}

/** A hold by its number; locked until the transaction ends when asked (two lifts: one waits). */
export async function findHold(db: Db, code: string, forUpdate = false): Promise<HoldRow | undefined> {
  const lock = forUpdate ? sql`for update of h` : sql``;
  const result = await sql<HoldRow>`select ${HOLD_COLUMNS} from legal_hold h
    left join category c on c.id = h.category_id where h.code = ${code} ${lock}`.execute(db);
  return result.rows[0];
}

/** Marks a hold lifted; false when it was lifted already (the caller holds the row lock). */
export async function markLifted(trx: Db, id: number, by: string, reason: string): Promise<boolean> {
  const result = await trx
    .updateTable('legal_hold')
    .set({ lifted_by: by, lifted_at: sql<Date>`now()`, lift_reason: reason })
    .where('id', '=', id)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Holds whose fonds `fonds` admits (a condition over legal_hold `h`), newest first, with item counts. */
export async function listHoldRows(
  db: Db,
  fonds: RawBuilder<unknown>,
  scope: ScopedQuery,
  filter: { state?: 'active' | 'lifted'; fondsCode?: string; limit: number; beforeId?: number },
): Promise<Array<HoldRow & { items: number }>> {
  const state =
    filter.state === 'active'
      ? sql`h.lifted_at is null`
      : filter.state === 'lifted'
        ? sql`h.lifted_at is not null`
        : sql`true`;
  const only = filter.fondsCode === undefined ? sql`true` : sql`h.fonds_code = ${filter.fondsCode}`;
  const before = filter.beforeId === undefined ? sql`true` : sql`h.id < ${filter.beforeId}`;
  const rows = await sql<HoldRow>`select ${HOLD_COLUMNS} from legal_hold h
    left join category c on c.id = h.category_id
    where ${fonds} and ${state} and ${only} and ${before}
    order by h.id desc limit ${filter.limit}`.execute(db);
  const counts = await countHeld(
    db,
    rows.rows.map((row) => row.id),
    scope,
  );
  return rows.rows.map((row) => ({ ...row, items: counts.get(row.id) ?? 0 }));
}

/** How many items within the scope each hold covers now (whether active or not: what it names). */
export async function countHeld(
  db: Db,
  holdIds: readonly number[],
  scope: ScopedQuery,
): Promise<Map<number, number>> {
  if (holdIds.length === 0) return new Map();
  const result = await sql<{ hold_id: number; n: string | number }>`select hold_id, count(*) as n
    from (${heldPairsSql(sql`h.id in (${sql.join(holdIds)})`, withinScope(scope))}) pairs
    group by hold_id`.execute(db);
  return new Map(result.rows.map((row) => [row.hold_id, Number(row.n)]));
}

/** How many of an explicit hold's listed items lie outside the scope (0: the scope covers them all). */
export async function countListedOutside(db: Db, holdId: number, scope: ScopedQuery): Promise<number> {
  const result = await sql<{ n: string | number }>`select count(*) as n from legal_hold_item hi
    join archive_item i on i.id = hi.item_id
    where hi.hold_id = ${holdId} and not (${withinScope(scope)})`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The 档号 of a hold's items within the scope, in 档号 order, at most `limit`. */
export async function heldItemCodes(
  db: Db,
  holdId: number,
  scope: ScopedQuery,
  limit: number,
): Promise<string[]> {
  const result = await sql<{ archive_code: string }>`select i.archive_code from archive_item i
    where i.id in (select item_id from (${heldPairsSql(sql`h.id = ${holdId}`)}) pairs)
      and ${withinScope(scope)}
    order by i.archive_code limit ${limit}`.execute(db);
  return result.rows.map((row) => row.archive_code);
}

/** Every active hold on these items: item id → the holds' numbers and reasons, oldest first. */
export async function activeHoldsOn(
  db: Db,
  itemIds: readonly number[],
): Promise<Map<number, Array<{ code: string; reason: string }>>> {
  const holds = new Map<number, Array<{ code: string; reason: string }>>();
  if (itemIds.length === 0) return holds;
  const result = await sql<{ item_id: number; code: string; reason: string }>`select pairs.item_id,
      h.code, h.reason
    from (${heldPairsSql(ACTIVE, sql`i.id in (${sql.join(itemIds)})`)}) pairs
    join legal_hold h on h.id = pairs.hold_id
    order by pairs.item_id, h.id`.execute(db);
  for (const row of result.rows)
    holds.set(row.item_id, [...(holds.get(row.item_id) ?? []), { code: row.code, reason: row.reason }]);
  return holds;
}

/** Each hold's state as its events carry it (the log keeps its digest; verify recomputes it). */
export async function holdStateRows(db: Db, holdId?: number): Promise<Map<string, object>> {
  const which = holdId === undefined ? sql`true` : sql`h.id = ${holdId}`;
  const holds = await sql<HoldRow>`select ${HOLD_COLUMNS} from legal_hold h
    left join category c on c.id = h.category_id where ${which} order by h.id`.execute(db);
  const items = await sql<{ hold_id: number; item_id: number }>`select hi.hold_id, hi.item_id
    from legal_hold_item hi join legal_hold h on h.id = hi.hold_id where ${which}
    order by hi.hold_id, hi.item_id`.execute(db);
  const listed = new Map<number, number[]>();
  for (const row of items.rows) listed.set(row.hold_id, [...(listed.get(row.hold_id) ?? []), row.item_id]);
  return new Map(holds.rows.map((row) => [`hold:${row.code}`, holdState(row, listed.get(row.id) ?? [])]));
}

function holdState(row: HoldRow, items: number[]): object {
  return {
    code: row.code,
    fonds: row.fonds_code,
    kind: row.selector_kind,
    categoryId: row.category_id,
    year: row.year,
    idNumberIndex: row.id_number_index,
    insuredNumber: row.insured_number,
    org: row.org_code,
    institution: row.institution_code,
    businessType: row.business_type,
    items,
    reason: row.reason,
    caseRef: row.case_ref,
    source: row.source,
    placedBy: row.placed_by,
    liftedBy: row.lifted_by,
    liftReason: row.lift_reason,
  };
}
