import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';

// A search's query under pinned planner settings, in one statement: the search_run_* functions
// (migration 20261226T120000-search-planned) hold the settings while EXECUTE plans and runs the
// query inside them, and hand its rows back as json. The query travels as text, so its parameters
// are written into it as literals here.

/**
 * - walk: many matches, walked down the date index newest first (no bitmap, no sequential scan);
 * - collect: few matches, collected through the word index's bitmap (no plain index scan);
 * - free: the planner's choice (a sample of the table's pages).
 */
export type Plan = 'walk' | 'collect' | 'free';

const RUNNERS: Record<Plan, string> = {
  walk: 'search_run_walk',
  collect: 'search_run_collect',
  free: 'search_run_free',
};

/** A value as an SQL literal of unknown type, resolved from its context as a bound parameter is. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    // In brackets when negative: "x -$1" must not become the comment "x --1".
    return value < 0 ? `(${value})` : String(value);
  }
  const text = value instanceof Date ? value.toISOString() : value;
  if (typeof text !== 'string') throw new Error(`no literal for a parameter of type ${typeof value}`);
  // A text value cannot hold NUL; the input guard refuses it long before here.
  if (text.includes('\0')) throw new Error('a text parameter holds NUL');
  // An escape string reads the same whatever standard_conforming_strings says.
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The compiled statement with each $n replaced by its parameter as a literal. */
export function inlineParameters(text: string, parameters: readonly unknown[]): string {
  const used = new Set<number>();
  const inlined = text.replace(/\$(\d+)/g, (_, digits: string) => {
    const index = Number(digits) - 1;
    if (index < 0 || index >= parameters.length) throw new Error(`no parameter $${digits}`);
    used.add(index);
    return literal(parameters[index]);
  });
  if (used.size !== parameters.length) throw new Error('a parameter is never referred to');
  return inlined;
}

/**
 * Runs `query` under the plan's settings; `wrap` may add columns computed outside the pinned query
 * from its row `r` (a json value), e.g. the page texts of the items found.
 */
export async function runPlanned<Row, Extra extends object = Record<never, never>>(
  db: Db,
  plan: Plan,
  query: RawBuilder<Row>,
  extra: RawBuilder<unknown> | null = null,
): Promise<Array<{ row: Row } & Extra>> {
  const compiled = query.compile(db);
  const text = inlineParameters(compiled.sql, compiled.parameters);
  const result = await sql<{ row: Row } & Extra>`
    select r as row${extra === null ? sql`` : sql`, ${extra}`}
    from ${sql.raw(RUNNERS[plan])}(${text}) r`.execute(db);
  return result.rows;
}
