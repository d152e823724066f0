import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { systemContext } from '../../shared/access-context.js';
import { actorProfiles } from '../access/access.queries.js';
import { listFonds } from '../catalog/catalog.queries.js';
import { personIndexesOfCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { type FeedEvent, readEventRowsAfter } from '../integrity/event.queries.js';
import { type LogFollower, type LogFollowerOptions, startLogFollower } from '../jobs/log-follower.js';
import { lockViewState, saveViews, tryLockViewState, type ViewInsert } from './insured.repo.js';

// 谁查看了我的档案 is answered from a projection of the log, not from the log: the log names items by
// 档号 and never holds an ID number, so "every look at this person's records" would mean reading all
// of it. This follower reads the log after its position (like the search indexer), resolves each
// look's item to the person it names (the item's blind index, through the catalog), and files one
// row per person and look under (person_key, recorded_at), committing the rows with the position.

// The follower reads every item's person, as the system; it returns no content, only blind indexes.
const FOLLOWER = systemContext('indexer', 'insured-views');

/** The looks a person is told of, and where their 档号 is. */
export const LOOK_ACTIONS = [
  'item.read',
  'item.viewed',
  'item.unmasked',
  'item.read_refused',
  'file.read',
  'search.id_lookup',
  'loan.read',
  'loan.copied',
  // The paper file handed out under a loan: a look at it as much as a reading on screen.
  'loan.handed_over',
] as const;

/** How lending leads the purpose of a copy delivered under a loan: 借阅单JY2026-000123 <purpose>. */
const LOAN_PURPOSE = /^借阅单(JY\d{4}-\d{6,})\s*(.*)$/s;

interface Look {
  codes: string[];
  purpose: string | null;
  approval: string | null;
  via: string | null;
}

const text = (value: unknown, max = 200): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.slice(0, max) : null;

/** What one event says about which records were looked at, under what and why. */
export function lookOf(event: Pick<FeedEvent, 'action' | 'subject' | 'payload'>): Look | null {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(event.payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  const grant = typeof payload.grantId === 'number' ? `查阅申请 #${payload.grantId}` : null;
  if (event.action === 'search.id_lookup') {
    const items = Array.isArray(payload.items)
      ? payload.items.filter((code) => typeof code === 'string')
      : [];
    return { codes: items as string[], purpose: null, approval: null, via: 'id_lookup' };
  }
  if (event.action === 'loan.read' || event.action === 'loan.copied') {
    // A file read under a loan is delivered (and logged as file.read, purpose led by the loan number)
    // by the watermark module: that entry is the look, this one would count it twice.
    if (typeof payload.file === 'number') return null;
    const item = text(payload.item, 300);
    const loan = event.subject.startsWith('loan:') ? event.subject.slice(5) : null;
    return item
      ? { codes: [item], purpose: null, approval: loan ? `借阅单 ${loan}` : null, via: 'loan' }
      : null;
  }
  if (event.action === 'loan.handed_over') {
    const items = Array.isArray(payload.items)
      ? payload.items.filter((code): code is string => typeof code === 'string')
      : [];
    const loan = event.subject.startsWith('loan:') ? event.subject.slice(5) : null;
    return { codes: items, purpose: null, approval: loan ? `借阅单 ${loan}` : null, via: 'loan' };
  }
  if (!event.subject.startsWith('item:')) return null;
  const purpose = text(payload.purpose);
  // The loan comes from the field lending's delivery sets, never from the purpose: anyone may type
  // "借阅单JY…" as a purpose, and the person would be told the look was approved under that loan.
  const loan = text(payload.loan, 40);
  if (loan) {
    const led = purpose ? LOAN_PURPOSE.exec(purpose) : null;
    return {
      codes: [event.subject.slice(5)],
      purpose: (led?.[1] === loan ? led[2] : purpose) || null,
      approval: `借阅单 ${loan}`,
      via: 'loan',
    };
  }
  return { codes: [event.subject.slice(5)], purpose, approval: grant, via: text(payload.via, 20) };
}

/** The agency an account acts for: the names of the fonds its scope holds (every fonds: 全部全宗). */
function agencyOf(
  fonds: ReadonlyArray<string | null>,
  names: ReadonlyMap<string, string>,
  itemFonds: string,
): string {
  if (fonds.length === 0) return names.get(itemFonds) ?? itemFonds;
  if (fonds.includes(null)) return `${names.get(itemFonds) ?? itemFonds}（全部全宗）`;
  return fonds.map((code) => names.get(code as string) ?? code).join('、');
}

export interface FollowRun {
  events: number;
  looks: number;
  backlog: boolean;
}

/** Takes in the looks logged since the last run, one transaction per batch. */
export async function catchUpViews(
  db: Db,
  options: { batch?: number; maxEvents?: number; skipIfBusy?: boolean } = {},
): Promise<FollowRun> {
  const batch = options.batch ?? 5000;
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  let events = 0;
  let looks = 0;
  let fondsNames: Map<string, string> | undefined;
  for (;;) {
    const wanted = Math.min(batch, maxEvents - events);
    const step = await inTransaction(db, async (trx) => {
      const after = options.skipIfBusy ? await tryLockViewState(trx) : await lockViewState(trx);
      if (after === undefined) return { read: -1, rows: 0 };
      const feed = await readEventRowsAfter(trx, after, wanted, LOOK_ACTIONS);
      if (feed.read === 0) return { read: 0, rows: 0 };
      const found = feed.events.flatMap((event) => {
        const look = lookOf(event);
        return look && look.codes.length > 0 ? [{ event, look }] : [];
      });
      const codes = [...new Set(found.flatMap(({ look }) => look.codes))];
      const people = await personIndexesOfCodes(trx, codes, scopedQuery(FOLLOWER));
      const actors = await actorProfiles(trx, [...new Set(found.map(({ event }) => event.actor))]);
      fondsNames ??= new Map((await listFonds(trx)).map((fonds) => [fonds.code, fonds.name]));
      const names = fondsNames;
      const rows: ViewInsert[] = [];
      for (const { event, look } of found)
        for (const code of new Set(look.codes)) {
          const person = people.get(code);
          if (!person) continue;
          const profile = actors.get(event.actor);
          rows.push({
            person_key: person.personKey,
            recorded_at: event.recordedAt,
            seq: event.seq,
            archive_code: code,
            action: event.action,
            actor: event.actor,
            actor_roles: profile?.roles.join(',') ?? '',
            agency: profile ? agencyOf(profile.fonds, names, person.fondsCode) : '',
            purpose: look.purpose,
            approval: look.approval,
            via: look.via,
          });
        }
      await saveViews(trx, rows, feed.lastSeq);
      return { read: feed.read, rows: rows.length };
    });
    // The position is busy (the follower is at it): leave the rest to it.
    if (step.read < 0) return { events, looks, backlog: true };
    events += step.read;
    looks += step.rows;
    if (step.read < wanted) return { events, looks, backlog: false };
    if (events >= maxEvents) return { events, looks, backlog: true };
  }
}

export type ViewsFollower = LogFollower;

/** The server's follower: small batches while behind, then a look every idleMs, under a named lease. */
export function startViewsFollower(db: Db, options: LogFollowerOptions = {}): ViewsFollower {
  return startLogFollower(
    async () => (await catchUpViews(db, { batch: 2000, maxEvents: 2000 })).backlog,
    options,
  );
}
