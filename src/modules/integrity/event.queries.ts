// The event log as other modules read it (the audit trail, the four-property check, verify, the
// search indexer); the SQL is event.repo.ts's and event-feed.repo.ts's, which only the log imports.
export { listEvents, type StoredEvent, toEvent } from './event.repo.js';
export { countEventsAfter, readEventsAfter } from './event-feed.repo.js';
export {
  type AuditFilter,
  type ReadingBurst,
  searchEvents,
  sensitiveReadBursts,
} from './event-search.repo.js';
