import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { roleLabel } from '../access/principal.js';
import { eventLabel } from '../integrity/event-catalog.js';
import { countEventsAfter } from '../integrity/event.queries.js';
import { countViews, type ViewRow, viewState, viewsOf } from './insured.repo.js';
import { catchUpViews, LOOK_ACTIONS } from './views.follow.js';

// The page of 谁查看了我的档案 for one person key: the projection read through its key (person, time),
// after a catch-up with the log only when a few looks wait (catchUpSmall). Only insured.service.ts calls it, with the caller's own key
// (and the benchmark, with a generated one); no route passes a key.

export interface ViewsPolicy {
  /** Whether the person is told the account name of staff who looked (a policy setting; off by default). */
  showStaffNames?: boolean;
}

export interface ViewsPage {
  entries: ViewEntry[];
  /** How many looks in the range; on the first page only (null on the next ones). */
  total: number | null;
  nextCursor: string | null;
  pending: boolean;
}

export interface ViewEntry {
  /** When (UTC ISO; answered in Beijing time). */
  at: string;
  archiveCode: string;
  action: string;
  /** What was done, in Chinese (the event's name). */
  actionLabel: string;
  /** The agency (全宗) the account acts for; 本人 for the person's own account. */
  agency: string;
  /** The roles, in Chinese. */
  role: string;
  /** The account's name, only where the policy shows staff names; null otherwise. */
  staff: string | null;
  purpose: string | null;
  approval: string | null;
  via: string | null;
}

export interface ViewsQuery {
  /** Beijing calendar days, inclusive: YYYY-MM-DD. */
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayStart(day: string, field: string): Date {
  const at = new Date(`${day}T00:00:00+08:00`);
  if (!DAY.test(day) || Number.isNaN(at.getTime()))
    throw new YidangError('INSURED_RANGE_INVALID', 'invalid', `${field}应为日期，形如 2026-12-01`);
  // 2026-02-30 parses to March: refuse a day the calendar does not have.
  if (new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10) !== day)
    throw new YidangError('INSURED_RANGE_INVALID', 'invalid', `${field}“${day}”不是有效日期`);
  return at;
}

const CURSOR = /^(\d{13})_(\d{1,15})_(.{1,300})$/;

function parseCursor(cursor: string): { at: Date; seq: number; code: string } {
  const match = CURSOR.exec(cursor);
  if (!match) throw new YidangError('CURSOR_INVALID', 'invalid', '翻页标记无效');
  return { at: new Date(Number(match[1])), seq: Number(match[2]), code: match[3] as string };
}

/**
 * One person's looks, newest first, from the projection keyed by their blind index (the log is not
 * read here beyond what the projection has yet to take in).
 */
export async function viewsOfPerson(
  db: Db,
  self: { personKey: string; username: string },
  query: ViewsQuery = {},
  policy: ViewsPolicy = {},
): Promise<ViewsPage> {
  const from = query.from ? dayStart(query.from, '起始日期') : undefined;
  const to = query.to ? new Date(dayStart(query.to, '截止日期').getTime() + 86_400_000) : undefined;
  if (from && to && from >= to)
    throw new YidangError('INSURED_RANGE_INVALID', 'invalid', '起始日期不能晚于截止日期');
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const pending = await catchUpSmall(db);
  const before = query.cursor !== undefined ? parseCursor(query.cursor) : undefined;
  const rows = await viewsOf(db, self.personKey, { from, to, before, limit });
  // Counted for the first page only: the next pages are read by the key alone.
  const total = before ? null : await countViews(db, self.personKey, { from, to });
  const last = rows.at(-1);
  return {
    entries: rows.map((row) => entryOf(row, self, policy)),
    total,
    nextCursor:
      rows.length === limit && last ? `${last.recordedAt.getTime()}_${last.seq}_${last.archiveCode}` : null,
    pending,
  };
}

/** Looks a page takes in itself before answering; beyond that the server's follower is at it. */
export const PAGE_CATCH_UP_BOUND = 200;

/**
 * What was logged a moment ago shows now, if little is waiting: the waiting looks are counted first
 * (bounded) and taken in only when there are at most PAGE_CATCH_UP_BOUND, without queueing behind the
 * follower's lock. It never fails the answer: the page answers from the projection as it stands and
 * says it may lag (pending). Returns whether looks are still waiting.
 */
async function catchUpSmall(db: Db): Promise<boolean> {
  try {
    const waiting = await countEventsAfter(db, await viewState(db), LOOK_ACTIONS, PAGE_CATCH_UP_BOUND + 1);
    if (waiting === 0) return false;
    if (waiting > PAGE_CATCH_UP_BOUND) return true;
    const run = await catchUpViews(db, {
      batch: PAGE_CATCH_UP_BOUND + 1,
      maxEvents: PAGE_CATCH_UP_BOUND + 1,
      skipIfBusy: true,
    });
    return run.backlog;
  } catch {
    return true;
  }
}

function entryOf(row: ViewRow, self: { username: string }, policy: ViewsPolicy): ViewEntry {
  const own = row.actor === self.username;
  const roles = row.actorRoles.split(',').filter(Boolean);
  return {
    at: row.recordedAt.toISOString(),
    archiveCode: row.archiveCode,
    action: row.action,
    actionLabel: row.via === 'id_lookup' ? '按身份证号检索到' : eventLabel(row.action),
    agency: own ? '本人' : row.agency || '—',
    role: own ? '本人' : roles.length > 0 ? roles.map(roleLabel).join('、') : '系统或已删除的账户',
    staff: own || policy.showStaffNames ? row.actor : null,
    purpose: row.purpose,
    approval: row.approval,
    via: row.via,
  };
}
