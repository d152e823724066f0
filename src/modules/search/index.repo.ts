import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { EventName } from '../integrity/event-catalog.js';
import { type CategoryBrief, categoryBriefsSql } from '../catalog/catalog.queries.js';
import { liveItemIdsSql } from '../catalog/item.queries.js';
import { eventsAfterCountSql } from '../integrity/event.queries.js';
import type { SearchDocTable } from './search.tables.js';

// The only SQL of the indexer: where it has read the event log to, the items and page texts it
// indexes, and the documents it writes.

/** Log actions that change what an item's search document holds. */
export const INDEXED_ACTIONS: readonly EventName[] = [
  'item.created',
  'item.changed',
  'file.added',
  'item.text_recorded',
  // A destroyed item's document goes (upsertDocs deletes it): nothing of it is searchable again.
  'item.destroyed',
];

/** How far the index has read the event log, locked for this transaction so indexers take turns. */
export async function lockIndexState(db: Db): Promise<number> {
  const locked = () =>
    db.selectFrom('search_state').select('last_seq').where('id', '=', 1).forUpdate().executeTakeFirst();
  // The row exists after the first run: one statement then.
  let row = await locked();
  if (!row) {
    await db
      .insertInto('search_state')
      .values({ id: 1, last_seq: -1 })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    row = await locked();
  }
  return Number(row?.last_seq ?? -1);
}

export async function saveIndexState(db: Db, lastSeq: number): Promise<void> {
  await db
    .updateTable('search_state')
    .set({ last_seq: lastSeq, updated_at: new Date() })
    .where('id', '=', 1)
    .execute();
}

/** Events not yet taken in that change an item, as SQL (counted up to a bound). */
const backlogSql = (bound: number) =>
  eventsAfterCountSql(
    sql`coalesce((select s.last_seq from search_state s where s.id = 1), -1)`,
    INDEXED_ACTIONS,
    bound,
  );

/** Events not yet taken in that change an item (counted up to a bound: only a hint of the work left). */
export async function indexBacklog(db: Db, bound = 100_000): Promise<number> {
  const result = await sql<{ pending: number }>`select ${backlogSql(bound)} as pending`.execute(db);
  return Number(result.rows[0]?.pending ?? 0);
}

/** What a search reads before it plans: the index's backlog (up to `bound`) and the category scheme. */
export async function searchPrelude(
  db: Db,
  bound: number,
): Promise<{ pending: number; categories: CategoryBrief[] }> {
  const result = await sql<{ pending: number; categories: CategoryBrief[] }>`
    select ${backlogSql(bound)} as pending, ${categoryBriefsSql()} as categories`.execute(db);
  const row = result.rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    categories: (row?.categories ?? []).map((category) => ({ ...category, id: Number(category.id) })),
  };
}

// Items are the catalog's and the log is the kernel's: the indexer reads them through their queries.
export { type IndexedItemRow, loadItemsToIndex } from '../catalog/item.queries.js';
export { readEventsAfter } from '../integrity/event.queries.js';

export async function loadPageTexts(
  db: Db,
  itemIds: readonly number[],
): Promise<Map<number, Array<{ page: number; text: string }>>> {
  const byItem = new Map<number, Array<{ page: number; text: string }>>();
  if (itemIds.length === 0) return byItem;
  const rows = await db
    .selectFrom('item_page_text')
    .select(['item_id', 'page', 'text'])
    .where(sql<boolean>`item_id = any(${[...itemIds]}::bigint[])`)
    .orderBy('item_id')
    .orderBy('page')
    .execute();
  for (const row of rows) {
    const pages = byItem.get(Number(row.item_id)) ?? [];
    pages.push({ page: row.page, text: row.text });
    byItem.set(Number(row.item_id), pages);
  }
  return byItem;
}

/**
 * Writes documents as one jsonb parameter expanded by the server (as filing does: fast on PGlite),
 * and (with `lastSeq`) moves the index's position in the log there in the same statement. Returns how many
 * replaced a document already there (each leaves a dead row until VACUUM). A destroyed item's document
 * is not written but deleted, in the same statement, with its row share-locked (liveItemIdsSql): the
 * indexer may have read the item before a destruction committed, and must not write its text back.
 */
export async function upsertDocs(db: Db, docs: readonly SearchDocTable[], lastSeq?: number): Promise<number> {
  if (docs.length === 0) {
    if (lastSeq !== undefined) await saveIndexState(db, lastSeq);
    return 0;
  }
  const save =
    lastSeq === undefined
      ? sql``
      : sql`, saved as (update search_state set last_seq = ${lastSeq}, updated_at = ${new Date()} where id = 1)`;
  const ids = docs.map((doc) => Number(doc.item_id));
  const result = await sql<{ replaced: number }>`
    with live as (${liveItemIdsSql(ids)}),
    gone as (
      delete from search_doc where item_id = any(${ids}::bigint[]) and item_id not in (select id from live)
    ),
    written as (
      insert into search_doc
      select * from jsonb_populate_recordset(null::search_doc, ${JSON.stringify(docs)}::jsonb) d
      where d.item_id in (select id from live)
      on conflict (item_id) do update set
        fonds_code = excluded.fonds_code, category_id = excluded.category_id, year = excluded.year,
        retention = excluded.retention, pooling_region = excluded.pooling_region,
        carrier = excluded.carrier, sensitivity = excluded.sensitivity, doc_date = excluded.doc_date,
        amount = excluded.amount, version = excluded.version, title = excluded.title,
        body = excluded.body, terms = excluded.terms
      returning xmax <> 0 as replaced
    )${save}
    select (count(*) filter (where replaced))::int as replaced from written`.execute(db);
  return Number(result.rows[0]?.replaced ?? 0);
}

/** Forgets the whole index, so the next run rebuilds it from the first event. */
export async function clearIndex(db: Db): Promise<void> {
  await sql`delete from search_doc`.execute(db);
  await sql`delete from search_state`.execute(db);
}

/**
 * Moves the word index's pending entries (recent insertions, kept in an unsorted list) into its
 * trees. Every search reads that list whole: left to grow to its 4 MB limit it cost PGlite 10–40 ms a
 * query at 1,000,000 items, and PGlite has no autovacuum to empty it.
 */
export async function mergePendingTerms(db: Db): Promise<void> {
  await sql`select gin_clean_pending_list('search_doc_terms'::regclass)`.execute(db);
}

/**
 * Refreshes the planner's statistics of every table. PGlite has no autovacuum: a table never analyzed
 * is planned from guesses (a listing of one fonds after a cursor took 230 ms instead of 7 ms on a
 * 20,000-item home, joining every category to every item). The indexer's upkeep stands in for it.
 */
export async function analyzeDatabase(db: Db): Promise<void> {
  await sql`analyze`.execute(db);
}

/**
 * Whether a table of the schema was never analyzed although it is large enough for it to matter (8 MB,
 * some thousands of items): a home filled before the upkeep analyzed everything. Statistics only, no
 * rows: the tables are told by pg_class, not named.
 */
export async function statisticsMissing(db: Db, minBytes = 8 * 1024 * 1024): Promise<boolean> {
  const result = await sql<{ missing: boolean }>`
    select exists (
      select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r' and c.reltuples < 0
        and pg_relation_size(c.oid) > ${minBytes}::bigint) as missing`.execute(db);
  return result.rows[0]?.missing === true;
}

/** Reclaims dead index rows and refreshes statistics (VACUUM cannot run inside a transaction). */
export async function tidyIndex(db: Db): Promise<void> {
  await sql`vacuum (analyze) search_doc`.execute(db);
}

/** Stores page texts; none (false) for a destroyed item — its row share-locked first, as upsertDocs does. */
export async function insertPageTexts(
  db: Db,
  itemId: number,
  pages: ReadonlyArray<{ page: number; text: string; confidence: number | null }>,
): Promise<boolean> {
  if (pages.length === 0) return false;
  if ((await liveItemIdsSql([itemId]).execute(db)).rows.length === 0) return false;
  await db
    .insertInto('item_page_text')
    .values(pages.map((page) => ({ item_id: itemId, ...page })))
    .onConflict((conflict) =>
      conflict.columns(['item_id', 'page']).doUpdateSet((eb) => ({
        text: eb.ref('excluded.text'),
        confidence: eb.ref('excluded.confidence'),
      })),
    )
    .execute();
  return true;
}
