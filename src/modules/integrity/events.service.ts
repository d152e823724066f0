import type { Db } from '../../db/database.js';
import { type AccessContext, eventsIn } from '../../shared/access-context.js';
import { maskIdLikeRuns } from '../../shared/id-in-text.js';
import { maskName } from '../../shared/masking.js';
import { type EventFilter, listEvents } from './event.repo.js';
import { eventLabel } from './event-catalog.js';

// Reading the event log as people see it: the audit trail for the CLI, the API and later the console.
// What people typed into an event (a purpose, a reason, a file name) is shown with ID numbers and
// names masked, as everywhere else.

export interface EventView {
  seq: number;
  recordedAt: string;
  actor: string;
  action: string;
  /** The event's Chinese name (event-catalog.ts). */
  actionLabel: string;
  subject: string;
  payload: unknown;
  hash: string;
}

/** Keys whose values are people's names. */
const NAME_KEY = /^(name|personName|rosterName|holder|guardian|agent|contact|requesterName)$/i;
/** Digests and hashes are hex or base64 and must stay verifiable: never ID numbers. */
const DIGEST_KEY = /digest|hash|root|checksum/i;

/** Text with every ID number in it masked (full-width digits are the same number: folded first). */
export const maskIdsIn = maskIdLikeRuns;

/** An event's payload as shown to people who may not unmask: ID numbers and names masked, at any depth. */
export function maskEventPayload(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (DIGEST_KEY.test(key)) return value;
    return NAME_KEY.test(key) ? maskName(value) : maskIdsIn(value);
  }
  if (Array.isArray(value)) return value.map((entry) => maskEventPayload(entry, key));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([name, entry]) => [name, maskEventPayload(entry, name)]),
    );
  return value;
}

/** Events newest first, with their payloads parsed and hashes in hex; masked unless asked otherwise. */
export async function eventTrail(
  db: Db,
  filter: Omit<EventFilter, 'visible'>,
  access: AccessContext,
  options: { unmasked?: boolean } = {},
): Promise<EventView[]> {
  // Only the events this reader may see: their scope's, unless they audit the whole log.
  const events = await listEvents(db, { ...filter, visible: eventsIn(access) });
  return events.map((event) => {
    const payload = JSON.parse(event.payload) as unknown;
    return {
      seq: event.seq,
      recordedAt: event.recordedAt.toISOString(),
      actor: event.actor,
      action: event.action,
      actionLabel: eventLabel(event.action),
      subject: options.unmasked ? event.subject : maskIdsIn(event.subject),
      payload: options.unmasked ? payload : maskEventPayload(payload),
      hash: event.hash.toString('hex'),
    };
  });
}
