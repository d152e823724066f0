import { type Kysely, sql } from 'kysely';

// A search pins its plan (a walk down the date index for a common word, the word index's bitmap for a
// rare one) with planner settings local to the query. Set in a transaction they cost four round trips
// (BEGIN, the settings, the query, COMMIT) and hold the connection — PGlite's only one — between
// them. A function's SET clauses apply while it runs and are undone when it returns, and EXECUTE plans
// the query inside it under them: one statement. Each returns the query's rows as json.
// JIT off and 64 MB of work_mem for all: JIT would compile these short queries for hundreds of
// milliseconds (the disabled plans make their costs look huge), and 4 MB turns a date range's bitmap
// lossy, so every row of its pages is checked again.

const PLANS = {
  // Many matches: walk the date index, newest first.
  search_run_walk: 'set enable_bitmapscan = off set enable_seqscan = off',
  // Few matches: collect them through the word index's bitmap.
  search_run_collect: 'set enable_indexscan = off',
  // A sample of the table's pages: the planner's choice.
  search_run_free: '',
} as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, settings] of Object.entries(PLANS))
    await sql`create function ${sql.raw(name)}(query text) returns setof json language plpgsql
      set jit = off set work_mem = '64MB' ${sql.raw(settings)}
      as $$ begin return query execute format('select row_to_json(q) from (%s) q', query); end $$`.execute(
      db,
    );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of Object.keys(PLANS))
    await sql`drop function if exists ${sql.raw(name)}(text)`.execute(db);
}
