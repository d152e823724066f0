import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The overdue list's SQL (逾期): open paper loans past their 应还日, read in (due date, id) order
// from the partial index loan_overdue, with the items still out and the last reminder sent.

export interface OverdueRow {
  id: number;
  loanNo: string;
  borrowerUsername: string | null;
  borrowerOrg: string | null;
  letterNo: string | null;
  requestedBy: string;
  dueOn: string;
  handedOverAt: Date | null;
  handedOverBy: string | null;
  renewals: number;
  renewalsAllowed: number;
  /** 档号 of the items not yet back. */
  items: string[];
  lastReminder: { offset: number; sentAt: string } | null;
}

export interface OverdueFilter {
  /** Loans due before this ISO date (today in Beijing). */
  before: string;
  /** Due on or before this ISO date: overdue at least so many days. */
  dueBy?: string;
  /** Continue after this (due date, id). */
  after?: { dueOn: string; id: number };
  /** Only loans whose items all lie within this condition over `li.archive_code` (the caller's scope). */
  within?: (archiveCode: RawBuilder<unknown>) => RawBuilder<unknown>;
  limit: number;
}

function conditions(filter: OverdueFilter): RawBuilder<unknown> {
  const parts = [sql`l.state = 'on_loan'`, sql`l.kind = 'paper'`, sql`l.due_on < ${filter.before}::date`];
  if (filter.dueBy !== undefined) parts.push(sql`l.due_on <= ${filter.dueBy}::date`);
  if (filter.within) {
    const within = filter.within;
    parts.push(sql`not exists (select 1 from loan_item li where li.loan_id = l.id
      and not (${within(sql`li.archive_code`)}))`);
  }
  return sql.join(parts, sql` and `);
}

export async function overdueLoans(db: Db, filter: OverdueFilter): Promise<OverdueRow[]> {
  const after = filter.after
    ? sql`and (l.due_on, l.id) > (${filter.after.dueOn}::date, ${filter.after.id})`
    : sql``;
  // A scoped caller: the overdue loans' (due date, id) in order first (OFFSET 0 keeps the planner from
  // merging the levels; narrow rows sort cheaply), then the scope, so a page stops at its 51st loan in
  // scope; then the page's rows. Unscoped, the partial index gives the page in order directly.
  const overdue = { ...filter, within: undefined };
  const chosen = filter.within
    ? sql`(select l.* from loan l where l.id in (
        select o.id from (select l.id, l.due_on from loan l where ${conditions(overdue)} ${after}
          order by l.due_on, l.id offset 0) o
        where not exists (select 1 from loan_item li where li.loan_id = o.id
          and not (${filter.within(sql`li.archive_code`)}))
        order by o.due_on, o.id limit ${filter.limit}))`
    : sql`(select l.* from loan l where ${conditions(overdue)} ${after}
        order by l.due_on, l.id limit ${filter.limit})`;
  const { rows } = await sql<OverdueRow & { id: number | string }>`
    select l.id, l.loan_no as "loanNo", l.borrower_username as "borrowerUsername",
      l.borrower_org as "borrowerOrg", l.letter_no as "letterNo", l.requested_by as "requestedBy",
      to_char(l.due_on, 'YYYY-MM-DD') as "dueOn", l.handed_over_at as "handedOverAt",
      l.handed_over_by as "handedOverBy", l.renewals, l.renewals_allowed as "renewalsAllowed",
      coalesce((select json_agg(li.archive_code order by li.archive_code) from loan_item li
        where li.loan_id = l.id and li.open), '[]'::json) as items,
      (select json_build_object('offset', r.offset_days, 'sentAt', r.sent_at) from loan_reminder r
        where r.loan_id = l.id and r.due_on = l.due_on order by r.offset_days desc limit 1) as "lastReminder"
    from ${chosen} l
    order by l.due_on, l.id`.execute(db);
  const parsed = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    handedOverAt: row.handedOverAt === null ? null : new Date(row.handedOverAt),
    items: parsed<string[]>(row.items),
    lastReminder: parsed<OverdueRow['lastReminder']>(row.lastReminder),
  }));
}

/** How many loans the filter (without its cursor) holds, counting no further than `cap`. */
export async function countOverdue(
  db: Db,
  filter: Omit<OverdueFilter, 'after' | 'limit'>,
  cap: number,
): Promise<number> {
  const { rows } = await sql<{ count: number | string }>`
    select count(*) as count from (select 1 from loan l where ${conditions({ ...filter, limit: 0 })}
      limit ${cap}) counted`.execute(db);
  return Number(rows[0]?.count ?? 0);
}
