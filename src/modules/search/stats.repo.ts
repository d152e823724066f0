import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { TermStats } from './selectivity.js';

// What the planner's statistics say about the index, read to choose a plan before running it.

/** Rows in the index: the largest item id is a cheap, close upper bound (ids are handed out in order). */
export async function indexedRowsEstimate(db: Db): Promise<number> {
  const result = await sql<{ rows: number }>`
    select greatest((select reltuples from pg_class where relname = 'search_doc'),
      coalesce((select max(item_id) from search_doc), 0))::float8 as rows`.execute(db);
  return Number(result.rows[0]?.rows ?? 0);
}

/**
 * The most common lexemes of the index and the share of rows holding each, as ANALYZE last found them
 * (null: never analyzed). The last three numbers of the shares array are the least share, the largest
 * and the share of empty rows.
 */
export async function termStats(db: Db): Promise<TermStats | null> {
  const result = await sql<{ lexemes: string[] | null; shares: number[] | null }>`
    select most_common_elems::text::text[] as lexemes, most_common_elem_freqs::float8[] as shares
    from pg_stats
    where schemaname = current_schema() and tablename = 'search_doc' and attname = 'terms'`.execute(db);
  const row = result.rows[0];
  if (!row?.lexemes || !row.shares || row.shares.length < row.lexemes.length + 1) return null;
  const shares = new Map(row.lexemes.map((lexeme, index) => [lexeme, Number(row.shares?.[index])]));
  return { shares, floor: Number(row.shares[row.lexemes.length]) };
}
