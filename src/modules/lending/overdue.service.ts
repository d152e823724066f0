import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate, beijingIso } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { itemCodeWithin } from '../catalog/item.queries.js';
import { countOverdue, type OverdueFilter, type OverdueRow, overdueLoans } from './overdue.repo.js';
import { shiftDate } from './reminder.service.js';

// The overdue list (逾期) for the archivist who handles loans: paper loans out past their 应还日
// (Beijing day), the longest overdue first, with the items still out, who has them and the last
// reminder sent. Only loans whose items all lie in the caller's scope are listed; items are named by
// 档号 only (no titles, no people's names from the archives).

export const MAX_OVERDUE_PAGE = 200;
/**
 * The first page's total is counted up to this many loans: each is a visit to the loan's row (and, for a
 * scoped caller, its items' checks), and past a few hundred the number tells the archivist no more.
 */
export const TOTAL_CAP = 200;

/** A scope row with nothing narrowing it: every item. */
const everything = (access: AccessContext) =>
  access.kind === 'system' ||
  access.scope.rows.some(
    (row) => row.fondsCode === null && row.regionPrefix === null && row.categoryIds === null,
  );

export interface OverdueLoan {
  loanNo: string;
  borrower: { user: string | null; organisation: string | null; letterNo: string | null };
  requestedBy: string;
  dueOn: string;
  daysOverdue: number;
  handedOverAt: string | null;
  handedOverBy: string | null;
  renewals: number;
  renewalsAllowed: number;
  items: string[];
  lastReminder: { offset: number; sentAt: string } | null;
}

export interface OverdueQuery {
  /** Overdue at least this many days (default 1). */
  minDays?: number;
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface OverduePage {
  today: string;
  /** Counted on the first page only (null after a cursor). */
  total: number | null;
  /** The count stopped at TOTAL_CAP: at least `total`. */
  totalAtLeast: boolean;
  loans: OverdueLoan[];
  next: string | null;
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

function parseCursor(cursor: string): { dueOn: string; id: number } {
  const match = /^(\d{4}-\d{2}-\d{2})_(\d{1,10})$/.exec(cursor);
  if (!match || Number.isNaN(Date.parse(match[1] as string)))
    throw invalid('LOAN_OVERDUE_QUERY_INVALID', '翻页标记无效：请使用上一页给出的“下一页”标记');
  return { dueOn: match[1] as string, id: Number(match[2]) };
}

function view(row: OverdueRow, today: string): OverdueLoan {
  return {
    loanNo: row.loanNo,
    borrower: { user: row.borrowerUsername, organisation: row.borrowerOrg, letterNo: row.letterNo },
    requestedBy: row.requestedBy,
    dueOn: row.dueOn,
    daysOverdue: daysBetween(row.dueOn, today),
    handedOverAt: beijingIso(row.handedOverAt),
    handedOverBy: row.handedOverBy,
    renewals: row.renewals,
    renewalsAllowed: row.renewalsAllowed,
    items: row.items,
    lastReminder: row.lastReminder
      ? { offset: row.lastReminder.offset, sentAt: beijingIso(new Date(row.lastReminder.sentAt)) }
      : null,
  };
}

export async function overdueList(
  db: Db,
  access: AccessContext,
  query: OverdueQuery = {},
  now = new Date(),
): Promise<OverduePage> {
  if (access.kind === 'principal') access.authorize('loan.handle');
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_OVERDUE_PAGE)
    throw invalid('LOAN_OVERDUE_QUERY_INVALID', `每页条数应为 1–${MAX_OVERDUE_PAGE}`);
  const minDays = query.minDays ?? 1;
  if (!Number.isInteger(minDays) || minDays < 1 || minDays > 3650)
    throw invalid('LOAN_OVERDUE_QUERY_INVALID', '逾期天数应为 1–3650 之间的整数');
  const today = beijingDate(now);
  const filter: Omit<OverdueFilter, 'limit'> = { before: today, dueBy: shiftDate(today, -minDays) };
  // Every item in scope: no loan needs its items checked.
  if (access.kind === 'principal' && !everything(access)) {
    const scope = access.scope;
    filter.within = (code) => itemCodeWithin(code, scope);
  }
  const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  const [rows, total] = await Promise.all([
    overdueLoans(db, { ...filter, ...(after ? { after } : {}), limit: limit + 1 }),
    after ? undefined : countOverdue(db, filter, TOTAL_CAP + 1),
  ]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    today,
    total: total === undefined ? null : Math.min(total, TOTAL_CAP),
    totalAtLeast: total !== undefined && total > TOTAL_CAP,
    loans: page.map((row) => view(row, today)),
    next: rows.length > limit && last ? `${last.dueOn}_${last.id}` : null,
  };
}
