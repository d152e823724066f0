import type { Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { systemContext } from '../../shared/access-context.js';
import { listCategories, listFonds } from '../catalog/catalog.queries.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import type { EventName } from '../integrity/event-catalog.js';
import { type FeedEvent, readEventRowsAfter } from '../integrity/event.queries.js';
import { type LogFollower, type LogFollowerOptions, startLogFollower } from '../jobs/log-follower.js';
import {
  clearUses,
  insertUses,
  lockUseState,
  rememberSubjects,
  saveUseState,
  setEffect,
  subjectsNamed,
  useBacklog,
} from './use.repo.js';
import type { UseEffect, UseKind, UseRegisterTable, UseSubjectTable } from './use.tables.js';

// The 利用登记簿 follows the event log the way the search indexer does: each use event becomes a row
// (a hand-over of several items a row each), and the position in the log commits with the rows, so a
// crash between batches loses nothing and repeats nothing. It reads the items' fonds and category as
// the indexer does, over every item (systemContext('indexer'): a follower of the log, not a reader).
const FOLLOWER = systemContext('indexer');

/** Events that say what a later use was asked for (who borrows, why). */
const REQUESTS: readonly EventName[] = ['loan.requested', 'insured.copy_requested'];
/** Events that are a use, each a row (or a row per item). */
const USES: readonly EventName[] = [
  'loan.handed_over',
  'loan.read',
  'loan.copied',
  'insured.copy_issued',
  'insured.query_answered',
];
export const USE_ACTIONS: readonly EventName[] = [...REQUESTS, ...USES, 'use.effect_recorded'];

/** 利用部门 of an insured person using their own records. */
export const INSURED_DEPARTMENT = '参保人';
/** 利用部门 of a private person borrowing (not an organisation, not staff). */
export const PERSON_DEPARTMENT = '个人';

type Payload = Record<string, unknown>;
const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;

/** What a request said, kept until its uses arrive. */
function requestOf(event: FeedEvent, payload: Payload): UseSubjectTable {
  if (event.action === 'insured.copy_requested')
    return {
      subject: event.subject,
      kind: 'copy',
      user_name: event.actor.slice(0, 100),
      organisation: null,
      person: null,
      letter_no: null,
      purpose: text(payload.purpose, 500),
    };
  const borrower = (payload.borrower ?? {}) as Payload;
  return {
    subject: event.subject,
    kind: String(payload.kind ?? 'paper').slice(0, 12),
    user_name: text(borrower.user, 100),
    organisation: text(borrower.organisation, 200),
    person: text(borrower.person, 100),
    letter_no: text(borrower.letterNo, 100),
    purpose: text(payload.purpose, 500),
  };
}

interface PendingUse {
  event: FeedEvent;
  kind: UseKind;
  items: Array<string | null>;
  detail: string | null;
}

function useOf(event: FeedEvent, payload: Payload): PendingUse | null {
  switch (event.action) {
    case 'loan.handed_over': {
      const items = Array.isArray(payload.items) ? payload.items.filter((x) => typeof x === 'string') : [];
      return { event, kind: 'paper', items, detail: null };
    }
    case 'loan.read':
      return { event, kind: 'electronic', items: [text(payload.item, 100)], detail: null };
    case 'loan.copied':
    case 'insured.copy_issued':
      return { event, kind: 'copy', items: [text(payload.item, 100)], detail: null };
    case 'insured.query_answered':
      return { event, kind: 'query', items: [null], detail: text(payload.kind, 200) };
    default:
      return null;
  }
}

const EFFECTS = new Set<UseEffect>(['voucher', 'rights', 'audit', 'compilation', 'other']);

/** Takes one batch of events into the register (inside the caller's transaction). */
async function takeIn(trx: Db, events: readonly FeedEvent[]): Promise<number> {
  const parsed = events.map((event) => ({ event, payload: JSON.parse(event.payload) as Payload }));
  await rememberSubjects(
    trx,
    // The last request of a subject wins (a subject is requested once; this only keeps one row).
    [
      ...new Map(
        parsed
          .filter(({ event }) => (REQUESTS as readonly string[]).includes(event.action))
          .map(({ event, payload }) => [event.subject, requestOf(event, payload)]),
      ).values(),
    ],
  );
  const uses = parsed.flatMap(({ event, payload }) => useOf(event, payload) ?? []);
  let written = 0;
  if (uses.length > 0) {
    const requests = await subjectsNamed(trx, [...new Set(uses.map((use) => use.event.subject))]);
    const codes = [
      ...new Set(uses.flatMap((use) => use.items.filter((item): item is string => item !== null))),
    ];
    const items = new Map(
      (await findItemsByCodes(trx, codes, scopedQuery(FOLLOWER))).map((item) => [item.archiveCode, item]),
    );
    const [categories, fonds] = await Promise.all([listCategories(trx), listFonds(trx)]);
    const categoryIds = new Map(categories.map((category) => [category.code, category.id]));
    const fondsNames = new Map(fonds.map((row) => [row.code, row.name]));
    const rows: Insertable<UseRegisterTable>[] = [];
    for (const use of uses) {
      const { event } = use;
      const request = requests.get(event.subject);
      const insured = event.action.startsWith('insured.');
      use.items.forEach((code, ordinal) => {
        const item = code === null ? undefined : items.get(code);
        const user = insured ? event.actor : (request?.user_name ?? null);
        const department = insured
          ? INSURED_DEPARTMENT
          : (request?.organisation ??
            (request?.person ? PERSON_DEPARTMENT : item ? (fondsNames.get(item.fonds) ?? item.fonds) : '—'));
        rows.push({
          event_seq: event.seq,
          ordinal,
          kind: use.kind,
          used_at: event.recordedAt,
          actor: event.actor.slice(0, 100),
          user_name: user?.slice(0, 100) ?? null,
          organisation: insured ? null : (request?.organisation ?? null),
          person: insured ? null : (request?.person ?? null),
          letter_no: insured ? null : (request?.letter_no ?? null),
          department: department.slice(0, 200),
          purpose: request?.purpose ?? null,
          loan_number: event.subject.startsWith('loan:') ? event.subject.slice('loan:'.length, 45) : null,
          item_code: code,
          fonds_code: item?.fonds ?? null,
          category_id: item ? (categoryIds.get(item.category) ?? null) : null,
          pooling_region: item?.poolingRegion ?? null,
          detail: use.detail,
        });
      });
    }
    written = await insertUses(trx, rows);
  }
  // Effects recorded after the use (the service wrote them at once; replaying gives the same values).
  for (const { event, payload } of parsed) {
    if (event.action !== 'use.effect_recorded') continue;
    const effect = payload.effect as UseEffect;
    const seq = Number(event.subject.slice('use:'.length));
    // An entry the register cannot place is passed over: one odd event must not stop the follower.
    if (!EFFECTS.has(effect) || !Number.isSafeInteger(seq)) continue;
    await setEffect(trx, {
      seq,
      item: text(payload.item, 100),
      effect,
      note: text(payload.note, 500),
      by: event.actor,
      at: event.recordedAt,
    });
  }
  return written;
}

export interface UseRun {
  /** Events read from the log (of every kind). */
  events: number;
  /** Register rows written. */
  rows: number;
  /** Use events still to read when the run stopped. */
  backlog: number;
}

/** Takes in the events logged since the last run, one transaction per batch (rows and position together). */
export async function catchUpUses(
  db: Db,
  options: { batch?: number; maxEvents?: number } = {},
): Promise<UseRun> {
  const batch = options.batch ?? 5000;
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  let events = 0;
  let rows = 0;
  let exhausted = false;
  for (;;) {
    const wanted = Math.min(batch, maxEvents - events);
    const step = await inTransaction(db, async (trx) => {
      const lastSeq = await lockUseState(trx);
      const read = await readEventRowsAfter(trx, lastSeq, wanted, USE_ACTIONS);
      if (read.read === 0) return { read: 0, written: 0 };
      const written = await takeIn(trx, read.events);
      await saveUseState(trx, read.lastSeq);
      return { read: read.read, written };
    });
    events += step.read;
    rows += step.written;
    exhausted = step.read < wanted;
    if (exhausted || events >= maxEvents) break;
  }
  return { events, rows, backlog: exhausted ? 0 : await useBacklog(db, USE_ACTIONS) };
}

/** Forgets the register and builds it again from the first event. */
export async function rebuildUses(db: Db): Promise<UseRun> {
  await inTransaction(db, (trx) => clearUses(trx));
  return catchUpUses(db);
}

export type UseFollower = LogFollower;

/**
 * The server's follower: small batches while there is a backlog, then a look every `idleMs`. With a
 * lease only the server holding it follows (several servers on one database register each use once).
 */
export function startUseFollower(db: Db, options: LogFollowerOptions = {}): UseFollower {
  return startLogFollower(
    // A full batch: more of the log may wait (of any kind; the register reads past the rest too).
    async () => (await catchUpUses(db, { batch: 2000, maxEvents: 2000 })).events >= 2000,
    options,
  );
}
