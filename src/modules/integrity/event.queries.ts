// The event log as other modules read it (the audit trail, the four-property check, verify); the SQL
// is event.repo.ts's, which only the kernel's log imports.
export { listEvents, type StoredEvent, toEvent } from './event.repo.js';
