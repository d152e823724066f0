import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ItemScope } from '../../shared/access-context.js';
import { type ScopedQuery, withinItemScope, withinScope } from './item.scope.js';

// What other modules may ask of the catalog's item table, as functions and query fragments: they
// never name archive_item themselves (src/db/table-ownership.test.ts). Scope fragments are in
// item.scope.ts.

/** Locks an item's row until the transaction ends (two attachments to it get different numbers). */
export async function lockItem(trx: Db, itemId: number): Promise<void> {
  await trx.selectFrom('archive_item').select('id').where('id', '=', itemId).forUpdate().execute();
}

/**
 * Locks the rows of these items until the transaction ends, in id order (two transactions locking
 * overlapping sets wait, never deadlock), in one statement with one array parameter.
 */
export async function lockItems(trx: Db, itemIds: readonly number[]): Promise<void> {
  if (itemIds.length === 0) return;
  await sql`select id from archive_item where id = any(${[...itemIds]}::bigint[]) order by id for update`.execute(
    trx,
  );
}

/** The 档号 of the item whose id `itemId` refers to (a column, e.g. sql.ref('f.item_id')), as a scalar. */
export function archiveCodeOf(itemId: RawBuilder<unknown> | ReturnType<typeof sql.ref>): RawBuilder<string> {
  return sql<string>`(select archive_code from archive_item where id = ${itemId})`;
}

/**
 * The items within the scope as a derived table of the columns reports count by (id, category_id,
 * year, carrier), for a report's single query: the planner pulls the subquery up, so the plan is the
 * one over archive_item itself.
 */
export function itemFactsWithin(scope: ScopedQuery): RawBuilder<unknown> {
  return sql`(select i.id, i.category_id, i.year, i.carrier from archive_item i where ${withinScope(scope)})`;
}

/**
 * Every item's key fields as a derived table, for comparing items just filed against the others (the
 * duplicates check, which returns ids and the names of differing fields only): the planner pulls the
 * subquery up into the comparison's join, so it uses archive_item's indexes as before.
 */
export function comparableItems(): RawBuilder<unknown> {
  return sql`(select id, insured_number, business_type, handled_at, person_name, id_number_index, amount,
    doc_date, title, handling_agency, handler, doc_number, pooling_region from archive_item)`;
}

/**
 * Every item's 档号, category (code and name) and sensitivity as a derived table keyed by id, for a
 * list that names items another module holds (an access request's items); no content.
 */
export function itemLabels(): RawBuilder<unknown> {
  return sql`(select i.id, i.archive_code, i.sensitivity, c.code as category, c.name as category_name
    from archive_item i join category c on c.id = i.category_id)`;
}

// The item's searchable text, lower-cased (the phrase is NFKC-folded in JavaScript by the caller;
// normalize() in SQL costs ~30 µs a row on PGlite and leaves runs of Han characters alone anyway).
const ITEM_TEXT = sql`lower(concat_ws(' ', i.title, i.person_name, i.business_type, i.archive_code, i.doc_number,
  i.responsible, i.handler, i.handling_agency, i.insured_number,
  (select string_agg(value, ' ') from jsonb_each_text(i.extra))))`;

/**
 * Whether the text fields of the item `itemId` refers to (an SQL expression) hold `phrase`, as a scalar
 * subquery (null when there is no such item): the planner checks candidates one by one with it.
 */
export function itemTextHolds(itemId: RawBuilder<unknown>, phrase: string): RawBuilder<boolean | null> {
  return sql<
    boolean | null
  >`(select strpos(${ITEM_TEXT}, ${phrase}) > 0 from archive_item i where i.id = ${itemId})`;
}

/** Whether the item with 档号 `archiveCode` (an SQL expression) exists within `scope`, as a condition. */
export function itemCodeWithin(archiveCode: RawBuilder<unknown>, scope: ItemScope): RawBuilder<SqlBool> {
  return sql<SqlBool>`exists (select 1 from archive_item i
    where i.archive_code = ${archiveCode} and ${withinItemScope(scope)})`;
}

// Look-ups other modules read items through (the SQL stays in item.repo.ts, item-version.repo.ts and
// sealing.repo.ts, which only the catalog imports).
export {
  countInScope,
  findItem,
  findItemsByCodes,
  findItemsByIds,
  itemCodesAfter,
  itemIdIndexes,
  listItems,
  personIndexesOfCodes,
  sequenceStates,
} from './item.repo.js';
export { itemVersionsAfter, listItemVersions } from './item-version.repo.js';
export { type IndexedItemRow, liveItemIdsSql, loadItemsToIndex } from './item-index.repo.js';
export { hasSealedItemIdNumbers, sealPlainItemIdNumbers } from './sealing.repo.js';
export { type SequenceNumbers, type SequenceSelector, sequenceNumbers } from './sequence-numbers.repo.js';
