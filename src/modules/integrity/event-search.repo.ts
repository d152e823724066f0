import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type StoredEvent, toEvent } from './event.repo.js';

// Searching the event log for the audit trail (审计): by who, what and when, by an access request or a
// watermark's trace id, and bursts of sensitive reads. The log is the kernel's, so its SQL is here;
// the audit module calls these through event.queries.ts.

export interface AuditFilter {
  actor?: string;
  /** An action (item.read) or a module (item.). */
  action?: string;
  subject?: string;
  /** Everything about one access request: its steps and every read made under it. */
  grantId?: number;
  /** The read that produced a watermarked copy with this trace id (追踪号). */
  traceId?: string;
  from?: Date;
  to?: Date;
  beforeSeq?: number;
  limit: number;
}

// A payload is JSON text written by JSON.stringify, which escapes a NUL or an unpaired surrogate as
// \u0000 or \ud800: jsonb refuses both, and one such event (the log keeps it for good) would fail
// every later search that reads payloads. Those escapes are made U+FFFD before the cast; a pair
// broken up the same way is harmless, as only server-made ids (grantId, traceId) are compared.
const payloadField = (key: string) =>
  sql<string | null>`(case when strpos(payload, '\\u') > 0
    then regexp_replace(payload, '\\\\u(0000|d[89a-f][0-9a-f]{2})', '\\\\ufffd', 'gi')
    else payload end)::jsonb ->> ${sql.lit(key)}`;

export async function searchEvents(db: Db, filter: AuditFilter): Promise<StoredEvent[]> {
  let query = db.selectFrom('integrity_event').selectAll();
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined)
    query = filter.action.endsWith('.')
      ? query.where('action', '>=', filter.action).where('action', '<', `${filter.action}\uffff`)
      : query.where('action', '=', filter.action);
  if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject);
  if (filter.grantId !== undefined) {
    const grantId = filter.grantId;
    query = query.where((eb) =>
      eb.or([
        eb('subject', '=', `access-request:${grantId}`),
        eb(payloadField('grantId'), '=', String(grantId)),
      ]),
    );
  }
  if (filter.traceId !== undefined) query = query.where(payloadField('traceId'), '=', filter.traceId);
  if (filter.from !== undefined) query = query.where('recorded_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('recorded_at', '<', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute();
  return rows.map(toEvent);
}

export interface ReadingBurst {
  actor: string;
  hour: Date;
  reads: number;
  items: number;
}

/** Accounts that read at least `threshold` sensitive items within one clock hour. */
export async function sensitiveReadBursts(
  db: Db,
  range: { from: Date; to: Date },
  threshold: number,
): Promise<ReadingBurst[]> {
  const result = await sql<{ actor: string; hour: Date; reads: number; items: number }>`
    select actor, date_trunc('hour', recorded_at) as hour, count(*)::int as reads,
           count(distinct subject)::int as items
    from integrity_event
    where action in ('item.read', 'item.unmasked') and recorded_at >= ${range.from} and recorded_at < ${range.to}
    group by actor, date_trunc('hour', recorded_at)
    having count(distinct subject) >= ${threshold}
    order by items desc, hour desc
    limit 200`.execute(db);
  return result.rows.map((row) => ({ ...row, hour: new Date(row.hour) }));
}
