import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { SearchSort } from './search.paging.js';
import {
  type FacetCounts,
  type FacetRow,
  facetCounts,
  facetSql,
  type PageRow,
  type Ranking,
  type SearchSpec,
  type SortKey,
  scoreSql,
  whereSql,
  withPlan,
} from './search.repo.js';

// Few matches are counted, faceted and paged in one statement: the matches (up to a bound) are
// materialized once, narrow, and only the facet rows and the page come back. Handing every match to
// the application instead cost more than reading it (PGlite ~6 µs a row and field, and tens of
// milliseconds of JSON for 10,000 matches on PostgreSQL).

export interface CollectedPage {
  /** All matches counted (at most bound + 1: more than bound means the bound was reached). */
  counts: FacetCounts;
  /** The page after the cursor, in sort order; meaningful only when the bound was not reached. */
  rows: PageRow[];
}

type Row = FacetRow & { item_id: number | null; date: string | null; score: string | null };

const keyset = (sort: SearchSort, after: SortKey | undefined): RawBuilder<unknown> => {
  if (!after) return sql`true`;
  const key = sql`${after.year}::smallint, ${after.date}::date, ${after.itemId}::bigint`;
  return sort === 'relevance'
    ? sql`(p.score, p.year, p.doc_date, p.item_id) < (${after.score ?? 0}::bigint, ${key})`
    : sql`(p.year, p.doc_date, p.item_id) < (${key})`;
};

const ORDER = {
  relevance: sql`p.score desc, p.year desc, p.doc_date desc, p.item_id desc`,
  date: sql`p.year desc, p.doc_date desc, p.item_id desc`,
};

export async function collectPage(
  db: Db,
  spec: SearchSpec,
  bound: number | null,
  sort: SearchSort,
  ranking: Pick<Ranking, 'rankQuery' | 'exactNames'>,
  limit: number,
  after?: SortKey,
): Promise<CollectedPage> {
  const score = sort === 'relevance' ? scoreSql(ranking, sql`d.terms`) : sql`null::bigint`;
  const result = await withPlan(db, false, (trx) =>
    sql<Row>`
      with m as materialized (
        select d.item_id, d.year, d.doc_date, d.category_id, d.pooling_region, d.carrier, ${score} as score
        from search_doc d where ${whereSql(spec)} ${bound === null ? sql`` : sql`limit ${bound + 1}`}
      ), f as (${facetSql(sql`m`)})
      select f.category_id, f.year, f.pooling_region, f.carrier, f.count, f.grouping,
        null::bigint as item_id, null::text as date, null::text as score from f
      union all
      (select null, p.year, null, null, null, -1, p.item_id, p.doc_date::text, p.score::text
        from m p where ${keyset(sort, after)} order by ${ORDER[sort]} limit ${limit})`.execute(trx),
  );
  const pageRows = result.rows.filter((row) => row.grouping === -1);
  const rows = pageRows.map((row) => ({
    itemId: Number(row.item_id),
    year: row.year as number,
    date: row.date as string,
    score: row.score === null ? null : Number(row.score),
  }));
  // A union keeps no order of its own.
  rows.sort(
    (a, b) =>
      (sort === 'relevance' ? (b.score ?? 0) - (a.score ?? 0) : 0) ||
      b.year - a.year ||
      (a.date < b.date ? 1 : a.date > b.date ? -1 : 0) ||
      b.itemId - a.itemId,
  );
  return { counts: facetCounts(result.rows.filter((row) => row.grouping !== -1)), rows };
}
