import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext, PrincipalContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { roleLabel } from '../access/principal.js';
import { listItems } from '../catalog/item.service.js';
import type { Item } from '../catalog/item.schema.js';
import { eventLabel } from '../integrity/event-catalog.js';
import { recordEvent } from '../integrity/event-log.js';
import { type OwnRosterRecords, ownRosterRecords } from '../ledgers/roster.queries.js';
import { countViews, type ViewRow, viewsOf } from './insured.repo.js';
import { catchUpViews } from './views.follow.js';

// 参保人自助查询: what an insured person sees of their own records. Whose records is never a parameter:
// it is the ID number of the signed-in account (the 参保人 role's scope), so no id in a URL, a query
// string or a body can point this window at someone else.

/** The person the window answers: the caller's own ID number and its blind index. */
export interface InsuredSelf {
  access: PrincipalContext;
  idNumber: string;
  personKey: string;
}

/** The caller as an insured person, or 403 INSURED_ONLY (staff, system, an account with no ID number). */
export function insuredSelf(access: AccessContext): InsuredSelf {
  const idNumber = access.kind === 'principal' ? access.scope.idNumber : null;
  if (access.kind !== 'principal' || !access.roles.includes('insured') || !idNumber)
    throw new YidangError(
      'INSURED_ONLY',
      'forbidden',
      '自助查询仅供参保人本人使用：请以登记了本人身份证号的参保人账户登录',
    );
  return { access, idNumber, personKey: idNumberIndex(idNumber) as string };
}

async function answered(
  db: Db,
  self: InsuredSelf,
  kind: 'archives' | 'views' | 'records' | 'copies',
  rows: number,
) {
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: self.access.username,
      action: 'insured.query_answered',
      subject: `user:${self.access.username}`,
      payload: { kind, rows },
    }),
  );
}

export interface OwnArchive {
  archiveCode: string;
  title: string;
  categoryName: string;
  year: number;
  date: string;
  businessType: string | null;
  agency: string | null;
  name: string | null;
  idNumber: string | null;
  sensitivity: string;
  retention: string;
}

const ownArchive = (item: Item): OwnArchive => ({
  archiveCode: item.archiveCode,
  title: item.title,
  categoryName: item.categoryName,
  year: item.year,
  date: item.date,
  businessType: item.businessType,
  agency: item.agency,
  name: item.name,
  idNumber: item.idNumber,
  sensitivity: item.sensitivity,
  retention: item.retention,
});

/** The caller's own archives, masked (a phone screen is read over shoulders), a page at a time. */
export async function ownArchives(
  db: Db,
  access: AccessContext,
  page: { cursor?: number; limit?: number } = {},
): Promise<{ items: OwnArchive[]; nextCursor: number | null }> {
  const self = insuredSelf(access);
  const masked: AccessContext = { ...self.access, disclosure: { unmask: false } };
  // Their own number: the listing's look-up by ID number, which is not a search of someone else.
  const { items, nextCursor } = await listItems(
    db,
    { idNumber: self.idNumber, cursor: page.cursor, limit: Math.min(page.limit ?? 20, 100) },
    masked,
  );
  await answered(db, self, 'archives', items.length);
  return { items: items.map(ownArchive), nextCursor };
}

/** The caller's enrollment, contributions, settlements and assistance status in the roster, where it holds them. */
export async function ownRecords(db: Db, access: AccessContext): Promise<OwnRosterRecords> {
  const self = insuredSelf(access);
  const records = await ownRosterRecords(db, self.personKey);
  await answered(
    db,
    self,
    'records',
    records.enrollments.length + records.contributions.length + records.settlements.length,
  );
  return records;
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
 * 谁查看了我的档案: every look at the caller's records, newest first, from the projection keyed by
 * their blind index (the log is not read here beyond what the projection has yet to take in).
 */
export async function whoViewedMe(
  db: Db,
  access: AccessContext,
  query: ViewsQuery = {},
  policy: { showStaffNames?: boolean } = {},
): Promise<{ entries: ViewEntry[]; total: number; nextCursor: string | null; pending: boolean }> {
  const self = insuredSelf(access);
  const from = query.from ? dayStart(query.from, '起始日期') : undefined;
  const to = query.to ? new Date(dayStart(query.to, '截止日期').getTime() + 86_400_000) : undefined;
  if (from && to && from >= to)
    throw new YidangError('INSURED_RANGE_INVALID', 'invalid', '起始日期不能晚于截止日期');
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  // What was logged a moment ago shows now: a bounded catch-up (the server's follower does the rest).
  const run = await catchUpViews(db, { maxEvents: 5000 });
  const before = query.cursor !== undefined ? parseCursor(query.cursor) : undefined;
  const rows = await viewsOf(db, self.personKey, { from, to, before, limit });
  const total = await countViews(db, self.personKey, { from, to });
  const last = rows.at(-1);
  await answered(db, self, 'views', rows.length);
  return {
    entries: rows.map((row) => entryOf(row, self, policy)),
    total,
    nextCursor:
      rows.length === limit && last ? `${last.recordedAt.getTime()}_${last.seq}_${last.archiveCode}` : null,
    pending: run.backlog,
  };
}

function entryOf(row: ViewRow, self: InsuredSelf, policy: { showStaffNames?: boolean }): ViewEntry {
  const own = row.actor === self.access.username;
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
