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

/** An event as a follower that needs its content reads it (payload as stored: canonical JSON text). */
export interface FeedEvent {
  seq: number;
  recordedAt: Date;
  actor: string;
  action: string;
  subject: string;
  payload: string;
}

/**
 * Events after `afterSeq` with their content, oldest first, at most `limit` read from the log; only
 * those of `actions` are returned (the rest are skipped, not fetched). `lastSeq` is how far the read
 * went, so a follower moves past events it does not keep.
 */
export async function readEventRowsAfter(
  db: Db,
  afterSeq: number,
  limit: number,
  actions: readonly string[],
): Promise<{ events: FeedEvent[]; lastSeq: number; read: number }> {
  const result = await sql<{
    seq: string | number;
    recorded_at: Date;
    actor: string;
    action: string;
    subject: string;
    payload: string | null;
  }>`select w.seq, w.recorded_at, w.actor, w.action, w.subject,
      case when w.action in (${sql.join(actions.map((action) => sql`${action}`))}) then w.payload end as payload
    from (select seq, recorded_at, actor, action, subject, payload from integrity_event
      where seq > ${afterSeq} order by seq limit ${limit}) w
    order by w.seq`.execute(db);
  const wanted = new Set(actions);
  const events: FeedEvent[] = [];
  for (const row of result.rows)
    if (wanted.has(row.action) && row.payload !== null)
      events.push({
        seq: Number(row.seq),
        recordedAt: new Date(row.recorded_at),
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        payload: row.payload,
      });
  const last = result.rows.at(-1);
  return { events, lastSeq: last ? Number(last.seq) : afterSeq, read: result.rows.length };
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
