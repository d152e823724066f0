import type { Db } from '../../db/database.js';
import { type EventFilter, listEvents } from './event.repo.js';

// Reading the event log as people see it: the audit trail for the CLI, the API and later the console.

export interface EventView {
  seq: number;
  recordedAt: string;
  actor: string;
  action: string;
  subject: string;
  payload: unknown;
  hash: string;
}

/** Events newest first, with their payloads parsed and hashes in hex. */
export async function eventTrail(db: Db, filter: EventFilter): Promise<EventView[]> {
  const events = await listEvents(db, filter);
  return events.map((event) => ({
    seq: event.seq,
    recordedAt: event.recordedAt.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    payload: JSON.parse(event.payload) as unknown,
    hash: event.hash.toString('hex'),
  }));
}
