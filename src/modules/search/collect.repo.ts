import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { SearchSort } from './search.paging.js';
import {
  afterKeySql,
  type FacetCounts,
  type FacetRow,
  facetCounts,
  facetSql,
  orderSql,
  type PageRow,
  type Ranking,
  type SearchSpec,
  type SortKey,
  scoreSql,
  whereSql,
  type PageTexts,
  pageTextsSql,
} from './search.repo.js';
import { runPlanned } from './planned.js';

// Few matches are counted, faceted and paged in one statement: the matches (up to a bound) are
// materialized once, narrow, and only the facet rows and the page (with its page texts) come back. Handing every match to
// the application instead cost more than reading it (PGlite ~6 µs a row and field, and tens of
// milliseconds of JSON for 10,000 matches on PostgreSQL).

export interface CollectedPage {
  /** All matches counted (at most bound + 1: more than bound means the bound was reached). */
  counts: FacetCounts;
  /** The page after the cursor, in sort order; meaningful only when the bound was not reached. */
  rows: PageRow[];
}

type Row = FacetRow & { item_id: number | null; date: string | null; score: string | null };

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
  // The page rows (grouping -1) come first, in the search's order: one order, written once.
  const result = await runPlanned<Row, PageTexts>(
    db,
    'collect',
    sql<Row>`
      with m as materialized (
        select d.item_id, d.year, d.doc_date, d.category_id, d.pooling_region, d.carrier, ${score} as score
        from search_doc d where ${whereSql(spec)} ${bound === null ? sql`` : sql`limit ${bound + 1}`}
      ), f as (${facetSql(sql`m`)}), u as (
        select f.category_id, f.year, f.pooling_region, f.carrier, f.count, f.grouping,
          null::bigint as item_id, null::date as doc_date, null::bigint as score from f
        union all
        (select null, p.year, null, null, null, -1, p.item_id, p.doc_date, p.score
          from m p where ${afterKeySql('p', sort, after)} order by ${orderSql('p', sort)} limit ${limit})
      )
      select u.category_id, u.year, u.pooling_region, u.carrier, u.count, u.grouping, u.item_id,
        u.doc_date::text as date, u.score::text as score
      from u order by u.grouping, ${orderSql('u', sort)}`,
    pageTextsSql,
  );
  const rows = result
    .filter(({ row }) => row.grouping === -1)
    .map(({ row, pages }) => ({
      itemId: Number(row.item_id),
      year: row.year as number,
      date: row.date as string,
      score: row.score === null ? null : Number(row.score),
      pages: pages ?? [],
    }));
  return { counts: facetCounts(result.map(({ row }) => row).filter((row) => row.grouping !== -1)), rows };
}
