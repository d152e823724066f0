import { type RawBuilder, sql } from 'kysely';
import type { EventName } from './event-catalog.js';

// The event log as other modules read it (the audit trail, the four-property check, verify, the
// search indexer); the SQL is event.repo.ts's and event-feed.repo.ts's, which only the log imports.
export { eventsOfSubjects, listEvents, type StoredEvent, toEvent } from './event.repo.js';
export {
  countEventsAfter,
  eventsAfterCountSql,
  type FeedEvent,
  readEventRowsAfter,
  readEventsAfter,
} from './event-feed.repo.js';
export {
  type AuditFilter,
  type ReadingBurst,
  searchEvents,
  sensitiveReadBursts,
} from './event-search.repo.js';

/**
 * A field of the payload of the first `action` event about `subject` (an SQL expression), as a scalar
 * (null when there is none): what a subject was created with, e.g. the fonds of a digitization batch.
 * Found through the log's (subject, seq) index.
 */
export function firstPayloadField(
  subject: RawBuilder<unknown>,
  action: EventName,
  field: string,
): RawBuilder<string | null> {
  return sql<string | null>`(select c.payload::jsonb ->> ${field} from integrity_event c
    where c.subject = ${subject} and c.action = ${action} order by c.seq limit 1)`;
}

/**
 * The subjects of the events of `actions` recorded within [from, to), one row each, as a derived table
 * of one column (subject), for counting events per unit (the assessment's reads per 10,000). Found
 * through the log's recorded_at index.
 */
export function eventSubjectsIn(
  actions: readonly EventName[],
  range: { from: Date; to: Date },
): RawBuilder<unknown> {
  return sql`(select e.subject from integrity_event e where e.action in (${sql.join([...actions])})
    and e.recorded_at >= ${range.from} and e.recorded_at < ${range.to})`;
}
