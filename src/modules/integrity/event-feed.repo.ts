import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/db.js';

// The log read in order by those who follow it (the search indexer): what came after a sequence
// number, and how much of it there is. Others call these through event.queries.ts.

/** Events after `afterSeq`, oldest first, at most `limit`: what a follower reads next. */
export async function readEventsAfter(
  db: Db,
  afterSeq: number,
  limit: number,
): Promise<Array<{ seq: number; action: string; subject: string }>> {
  const rows = await db
    .selectFrom('integrity_event')
    .select(['seq', 'action', 'subject'])
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

/** How many events after `afterSeq` have one of `actions`, counted up to `bound`. */
export async function countEventsAfter(
  db: Db,
  afterSeq: number,
  actions: readonly string[],
  bound: number,
): Promise<number> {
  const result = await sql<{
    count: number;
  }>`select ${eventsAfterCountSql(sql`${afterSeq}`, actions, bound)} as count`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}

/**
 * The same count as an SQL expression over a sequence number the caller's statement supplies (a
 * follower's position read in the same statement).
 */
export function eventsAfterCountSql(
  afterSeq: RawBuilder<unknown>,
  actions: readonly string[],
  bound: number,
): RawBuilder<number> {
  if (actions.length === 0) return sql<number>`0`;
  return sql<number>`(select count(*)::int from (
      select 1 from integrity_event
      where seq > ${afterSeq} and action in (${sql.join(actions.map((action) => sql`${action}`))})
      limit ${bound}) pending)`;
}
