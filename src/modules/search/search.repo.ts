import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { itemTextHolds } from '../catalog/item.queries.js';
import { type ScopedQuery, scopeOver } from '../catalog/item.scope.js';
import { runPlanned } from './planned.js';
import type { Condition, Recheck } from './query.js';

// The only SQL of searching. Every condition — words, filters, the user's scope and the gate on
// sensitive items — is in the WHERE clause, so what a user may not see is neither returned nor
// counted. Plans are chosen here rather than left to chance: a common word's matches are walked in
// date order (the first page is found after a few rows), a rare word's are collected and sorted.

/** Filters checked on columns rather than through the word index. */
export interface ColumnFilters {
  retention?: string[];
  sensitivity?: string[];
  amountMin?: string;
  amountMax?: string;
  dateFrom?: string;
  dateTo?: string;
  yearFrom?: number;
  yearTo?: number;
  fonds?: string;
}

export interface SearchSpec extends ColumnFilters {
  /** Words and facet filters as one tsquery; null: no word condition. */
  indexQuery: string | null;
  /** Words checked on each candidate row rather than through the word index (its common words). */
  wordCheck?: string | null;
  /** Phrase checks beyond the index query, when the query has phrases. */
  exact: Condition | null;
  /** Whose search it is: the scope is part of every condition. */
  scope: ScopedQuery;
  /** Own-record term of a 参保人 (blind index), matched as part of the scope. */
  ownTerm?: string | null;
  /** Sensitive items are shown only when granted (the ids this subquery selects) or the user's own; absent: no gate. */
  gate?: { granted: RawBuilder<unknown> };
}

/** How results are ordered (search.paging.ts re-exports it with the cursors). */
export type SearchSort = 'relevance' | 'date';

export type FacetDimension = 'category' | 'year' | 'region' | 'carrier';

export interface FacetCounts {
  total: number;
  facets: Record<FacetDimension, Map<string, number>>;
}

export interface PageRow {
  itemId: number;
  year: number;
  date: string;
  score: number | null;
  /** The item's page texts (OCR), read in the same statement, for its snippets. */
  pages?: Array<{ page: number; text: string }>;
}

export interface PageTexts {
  pages: Array<{ page: number; text: string }> | null;
}

/**
 * The page texts of a planned query's row `r` (a json value with item_id), outside the pinned query:
 * a page's hits come with what their snippets are cut from, in the same statement.
 */
export const pageTextsSql = sql`(select json_agg(json_build_object('page', p.page, 'text', p.text)
    order by p.page) from item_page_text p where p.item_id = (r ->> 'item_id')::bigint) as pages`;

export type SortKey = { score?: number; year: number; date: string; itemId: number };

// The phrase is NFKC-folded in JavaScript; the stored text is only lower-cased here. normalize() in SQL
// costs ~30 µs a row on PGlite, and the phrases checked are runs of Han characters, which NFKC leaves
// alone (bar the rare compatibility ideographs).
const folded = (text: RawBuilder<unknown>) => sql`lower(${text})`;

// The stored title and body answer most phrases, and the pages the rest. A row indexed before the
// body was kept is checked against the item itself (a scalar subquery, so the planner checks
// candidates one by one instead of hashing every item's text first).
function recheckSql(recheck: Recheck): RawBuilder<unknown> {
  const inTitle = sql`strpos(d.title, ${recheck.phrase}) > 0`;
  if (recheck.target === 'title') return inTitle;
  return sql`(${inTitle}
    or (case when d.body is not null then strpos(d.body, ${recheck.phrase}) > 0
      else coalesce(${itemTextHolds(sql`d.item_id`, recheck.phrase)}, false) end)
    or coalesce((select bool_or(strpos(${folded(sql`p.text`)}, ${recheck.phrase}) > 0)
      from item_page_text p where p.item_id = d.item_id), false))`;
}

/**
 * The exact condition. `implied`: the index query already requires this node's words (a match at
 * the top, or under ANDs only), so only its phrase checks remain to be evaluated. Its word matches
 * are written as the function behind @@, which the planner checks row by row instead of turning each
 * into one more scan of the word index (the index query already found every candidate).
 */
function conditionSql(condition: Condition, implied = true): RawBuilder<unknown> {
  if (condition.kind === 'match') {
    const parts = [
      ...(implied ? [] : [sql`ts_match_vq(d.terms, ${condition.tsquery}::tsquery)`]),
      ...condition.rechecks.map(recheckSql),
    ];
    return parts.length === 0 ? sql`true` : sql`(${sql.join(parts, sql` and `)})`;
  }
  if (condition.kind === 'not') return sql`not ${conditionSql(condition.child, false)}`;
  const childImplied = implied && condition.kind === 'and';
  return sql`(${sql.join(
    condition.children.map((child) => conditionSql(child, childImplied)),
    condition.kind === 'and' ? sql` and ` : sql` or `,
  )})`;
}

/** The year and date bounds: what bounds a walk down the date index. */
function rangeParts(spec: ColumnFilters): RawBuilder<unknown>[] {
  const parts: RawBuilder<unknown>[] = [];
  if (spec.dateFrom !== undefined) parts.push(sql`d.doc_date >= ${spec.dateFrom}::date`);
  if (spec.dateTo !== undefined) parts.push(sql`d.doc_date <= ${spec.dateTo}::date`);
  if (spec.yearFrom !== undefined) parts.push(sql`d.year >= ${spec.yearFrom}`);
  if (spec.yearTo !== undefined) parts.push(sql`d.year <= ${spec.yearTo}`);
  return parts;
}

export function whereSql(spec: SearchSpec): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (spec.indexQuery !== null) parts.push(sql`d.terms @@ ${spec.indexQuery}::tsquery`);
  if (spec.wordCheck) parts.push(sql`ts_match_vq(d.terms, ${spec.wordCheck}::tsquery)`);
  if (spec.exact) parts.push(conditionSql(spec.exact));
  if (spec.retention?.length)
    parts.push(sql`d.retention in (${sql.join(spec.retention.map((r) => sql`${r}`))})`);
  if (spec.sensitivity?.length)
    parts.push(sql`d.sensitivity in (${sql.join(spec.sensitivity.map((s) => sql`${s}`))})`);
  if (spec.amountMin !== undefined) parts.push(sql`d.amount >= ${spec.amountMin}::numeric`);
  if (spec.amountMax !== undefined) parts.push(sql`d.amount <= ${spec.amountMax}::numeric`);
  parts.push(...rangeParts(spec));
  if (spec.fonds !== undefined) parts.push(sql`d.fonds_code = ${spec.fonds}`);
  parts.push(scopeOver(spec.scope, 'd', spec.ownTerm ? sql`d.terms @@ ${spec.ownTerm}::tsquery` : null));
  if (spec.gate) {
    const open = [sql`d.sensitivity = 'normal'`];
    if (spec.ownTerm) open.push(sql`d.terms @@ ${spec.ownTerm}::tsquery`);
    open.push(sql`d.item_id in (${spec.gate.granted})`);
    parts.push(sql`(${sql.join(open, sql` or `)})`);
  }
  return parts.length > 0 ? sql.join(parts, sql` and `) : sql`true`;
}

// grouping() has a bit set for each column left out of the grouping set it reports.
const DIMENSION_OF_GROUPING: Record<number, FacetDimension | 'total'> = {
  7: 'category',
  11: 'year',
  13: 'region',
  14: 'carrier',
  15: 'total',
};

export interface FacetRow {
  category_id: number | null;
  year: number | null;
  pooling_region: string | null;
  carrier: string | null;
  grouping: number;
  count: number;
}

/** Facet counts over the rows of `m` (a subquery or CTE with the facet columns), in grouping sets. */
export const facetSql = (from: RawBuilder<unknown>) => sql<FacetRow>`
  select category_id, year, pooling_region, carrier, count(*)::int as count,
    grouping(category_id, year, pooling_region, carrier)::int as grouping
  from ${from} m
  group by grouping sets ((category_id), (year), (pooling_region), (carrier), ())`;

export function facetCounts(rows: readonly FacetRow[]): FacetCounts {
  const counts: FacetCounts = {
    total: 0,
    facets: { category: new Map(), year: new Map(), region: new Map(), carrier: new Map() },
  };
  for (const row of rows) {
    const dimension = DIMENSION_OF_GROUPING[row.grouping];
    if (dimension === 'total') counts.total = row.count;
    else if (dimension) {
      const value = {
        category: row.category_id,
        year: row.year,
        region: row.pooling_region,
        carrier: row.carrier,
      }[dimension];
      if (value !== null) counts.facets[dimension].set(String(value), row.count);
    }
  }
  return counts;
}

/** ts_rank (a 题名 match weighs ten times one elsewhere) as an integer, exact names a tier above. */
export function scoreSql(ranking: Pick<Ranking, 'rankQuery' | 'exactNames'>, terms: RawBuilder<unknown>) {
  const rank = ranking.rankQuery
    ? sql`(ts_rank(${terms}, ${ranking.rankQuery}::tsquery) * 1000000)::bigint`
    : sql`0::bigint`;
  const bonus =
    ranking.exactNames.length > 0
      ? sql`case when ${terms} @@ ${ranking.exactNames.join(' | ')}::tsquery then 1000000000 else 0 end`
      : sql`0`;
  return sql`${rank} + ${bonus}`;
}

export interface SampleCounts {
  /** The matches in the sample. */
  counts: FacetCounts;
  /**
   * The sample's rows within the year and date bounds, matching or not — what a walk down the date
   * index reads through (null: no bounds).
   */
  inRange: number | null;
}

/**
 * Counts over a sample of the table's pages (a fixed sample per seed, so pages of one search agree).
 * With year or date bounds, the same read of the sample also counts the rows within them.
 */
export async function sampleMatches(
  db: Db,
  spec: SearchSpec,
  percent: number,
  seed: number,
): Promise<SampleCounts> {
  const sample = sql`search_doc d tablesample system (${sql.lit(percent)}) repeatable (${sql.lit(seed)})`;
  const range = rangeParts(spec);
  if (range.length === 0) {
    const rows = await runPlanned(
      db,
      'free',
      facetSql(
        sql`(select d.category_id, d.year, d.pooling_region, d.carrier from ${sample} where ${whereSql(spec)})`,
      ),
    );
    return { counts: facetCounts(rows.map((one) => one.row)), inRange: null };
  }
  // Every match is within the bounds, so the rows within them are read once and the matches among them
  // counted; the row with grouping -1 counts them all.
  const rows = (
    await runPlanned(
      db,
      'free',
      sql<FacetRow>`
      with s as materialized (
        select d.category_id, d.year, d.pooling_region, d.carrier, (${whereSql(spec)}) as hit
        from ${sample} where ${sql.join(range, sql` and `)}
      )
      ${facetSql(sql`(select * from s where s.hit)`)}
      union all
      select null, null, null, null, count(*)::int, -1 from s`,
    )
  ).map((one) => one.row);
  return {
    counts: facetCounts(rows),
    inRange: rows.find((row) => row.grouping === -1)?.count ?? 0,
  };
}

/** A search's order over the columns of `alias` (score, year, doc_date, item_id), all descending. */
export function orderSql(alias: string, sort: SearchSort): RawBuilder<unknown> {
  const t = sql.raw(alias);
  const byDate = sql`${t}.year desc, ${t}.doc_date desc, ${t}.item_id desc`;
  return sort === 'relevance' ? sql`${t}.score desc, ${byDate}` : byDate;
}

/** The rows after a cursor's key in that order (true without a cursor). */
export function afterKeySql(
  alias: string,
  sort: SearchSort,
  after: SortKey | undefined,
): RawBuilder<unknown> {
  if (!after) return sql`true`;
  const t = sql.raw(alias);
  const key = sql`${after.year}, ${after.date}::date, ${after.itemId}`;
  return sort === 'relevance'
    ? sql`(${t}.score, ${t}.year, ${t}.doc_date, ${t}.item_id) < (${after.score ?? 0}, ${key})`
    : sql`(${t}.year, ${t}.doc_date, ${t}.item_id) < (${key})`;
}

const DATE_ORDER = orderSql('d', 'date');

const afterDate = (after: SortKey | undefined) => sql`and ${afterKeySql('d', 'date', after)}`;

/** The years present in the index within the spec's year bounds, by a loose scan of the date index. */
function yearsSql(spec: SearchSpec): RawBuilder<unknown> {
  const below = (bound: RawBuilder<unknown>) =>
    sql`(select max(d.year) from search_doc d where ${bound}${
      spec.yearFrom === undefined ? sql`` : sql` and d.year >= ${spec.yearFrom}`
    })`;
  const top = spec.yearTo === undefined ? sql`true` : sql`d.year <= ${spec.yearTo}`;
  return sql`with recursive years(year) as (
      select ${below(top)}
      union all
      select ${below(sql`d.year < years.year`)} from years where years.year is not null
    ) select year from years where year is not null`;
}

/**
 * The newest `limit` matches in date order. With a date range the walk goes year by year (the index
 * leads with 年度, so a date range alone cannot bound it): each year's part of the range is read
 * tightly and years outside it cost one probe. Without one, it is a single walk down the index.
 */
function newestSql(
  spec: SearchSpec,
  columns: RawBuilder<unknown>,
  limit: number,
  after?: SortKey,
): RawBuilder<unknown> {
  if (spec.dateFrom === undefined && spec.dateTo === undefined)
    return sql`select ${columns} from search_doc d where ${whereSql(spec)} ${afterDate(after)}
      order by ${DATE_ORDER} limit ${limit}`;
  return sql`select w.* from (${yearsSql(spec)}) y cross join lateral (
      select ${columns} from search_doc d where d.year = y.year and ${whereSql(spec)} ${afterDate(after)}
      order by d.doc_date desc, d.item_id desc limit ${limit}) w
    order by ${orderSql('w', 'date')} limit ${limit}`;
}

export async function pageByDate(
  db: Db,
  spec: SearchSpec,
  limit: number,
  walk: boolean,
  after?: SortKey,
): Promise<PageRow[]> {
  const rows = await runPlanned<{ item_id: number; year: number; date: string }, PageTexts>(
    db,
    walk ? 'walk' : 'collect',
    walk
      ? sql`
          select n.item_id, n.year, n.doc_date::text as date
          from (${newestSql(spec, sql`d.item_id, d.year, d.doc_date`, limit, after)}) n
          order by ${orderSql('n', 'date')}`
      : sql`
          select d.item_id, d.year, d.doc_date::text as date from search_doc d
          where ${whereSql(spec)} ${afterDate(after)}
          order by ${DATE_ORDER} limit ${limit}`,
    pageTextsSql,
  );
  return rows.map(({ row, pages }) => ({
    itemId: Number(row.item_id),
    year: row.year,
    date: row.date,
    score: null,
    pages: pages ?? [],
  }));
}

export interface Ranking {
  rankQuery: string | null;
  exactNames: string[];
  /** Only the newest this many matches are ranked (many matches); null: all of them (few). */
  window: number | null;
}

/** Matches by relevance: ts_rank with field weights, exact names first, newest first on ties. */
export async function pageByRelevance(
  db: Db,
  spec: SearchSpec,
  ranking: Ranking,
  limit: number,
  after?: SortKey,
): Promise<PageRow[]> {
  const score = scoreSql(ranking, sql`m.terms`);
  const columns = sql`d.item_id, d.year, d.doc_date, d.terms`;
  const matches =
    ranking.window === null
      ? sql`select ${columns} from search_doc d where ${whereSql(spec)}`
      : newestSql(spec, columns, ranking.window);
  const rows = await runPlanned<{ item_id: number; year: number; date: string; score: string }, PageTexts>(
    db,
    ranking.window !== null ? 'walk' : 'collect',
    sql`
      with m as (${matches}), r as (
        select m.item_id, m.year, m.doc_date, ${score} as score from m
      )
      select r.item_id, r.year, r.doc_date::text as date, r.score::text as score from r
      where ${afterKeySql('r', 'relevance', after)} order by ${orderSql('r', 'relevance')} limit ${limit}`,
    pageTextsSql,
  );
  return rows.map(({ row, pages }) => ({
    itemId: Number(row.item_id),
    year: row.year,
    date: row.date,
    score: Number(row.score),
    pages: pages ?? [],
  }));
}
