import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { LoanKind } from './lending.tables.js';

// The reminder job's SQL over the loans and its own table (loan_reminder): which open loans have
// reached an offset of their due date without its reminder, and the claim that a reminder was sent.

export interface ReminderCandidate {
  id: number;
  loanNo: string;
  kind: LoanKind;
  dueOn: string;
  /** Who is reminded: the staff borrower, or for an outside party the staff member who asked. */
  readerId: number;
  readerName: string;
  borrowerOrg: string | null;
  items: number;
}

/**
 * Open loans whose due date lies in (`after`, `upTo`] (ISO dates) with no reminder at `offset` for
 * that date, of the kinds given, oldest due first. The window is the offset's share of the calendar:
 * a loan past a later offset gets that one instead (a server off for a week sends T+7, not T−3 too).
 */
export async function dueForReminder(
  db: Db,
  window: { offset: number; upTo: string; after: string | null; kinds: readonly LoanKind[] },
  limit: number,
  /** Loans left out (their reminder failed earlier in this run). */
  skip: readonly number[] = [],
): Promise<ReminderCandidate[]> {
  const after = window.after === null ? sql`` : sql`and l.due_on > ${window.after}::date`;
  const skipped = skip.length === 0 ? sql`` : sql`and l.id not in (${sql.join([...skip])})`;
  const { rows } = await sql<ReminderCandidate>`
    select l.id, l.loan_no as "loanNo", l.kind, to_char(l.due_on, 'YYYY-MM-DD') as "dueOn",
      coalesce(l.borrower_id, l.requester_id) as "readerId",
      coalesce(l.borrower_username, l.requested_by) as "readerName",
      l.borrower_org as "borrowerOrg",
      (select count(*)::int from loan_item li where li.loan_id = l.id) as items
    from loan l
    where l.state = 'on_loan' and l.kind in (${sql.join([...window.kinds])})
      and l.due_on <= ${window.upTo}::date ${after} ${skipped}
      and not exists (select 1 from loan_reminder r
        where r.loan_id = l.id and r.offset_days = ${window.offset} and r.due_on = l.due_on)
    order by l.due_on, l.id
    limit ${limit}`.execute(db);
  return rows.map((row) => ({ ...row, id: Number(row.id), readerId: Number(row.readerId) }));
}

/**
 * How many items of each loan lie within a condition over `li.archive_code` (a staff member's scope,
 * as the catalog states it); loans with none are absent.
 */
export async function itemsWithin(
  db: Db,
  loanIds: readonly number[],
  within: (archiveCode: RawBuilder<unknown>) => RawBuilder<unknown>,
): Promise<Map<number, number>> {
  if (loanIds.length === 0) return new Map();
  const { rows } = await sql<{ loan_id: number | string; n: number }>`
    select li.loan_id, count(*)::int as n from loan_item li
    where li.loan_id in (${sql.join([...loanIds])}) and ${within(sql`li.archive_code`)}
    group by li.loan_id`.execute(db);
  return new Map(rows.map((row) => [Number(row.loan_id), Number(row.n)]));
}

/**
 * Claims one reminder (loan, offset, due date) in the caller's transaction: false when it was sent
 * already or the loan is no longer open at that due date (returned or renewed meanwhile).
 */
export async function claimReminder(
  trx: Db,
  loanId: number,
  offset: number,
  dueOn: string,
  at: Date,
): Promise<boolean> {
  const { rows } = await sql<{ loan_id: number }>`
    insert into loan_reminder (loan_id, offset_days, due_on, sent_at, recipients)
    select l.id, ${offset}, l.due_on, ${at}, 0 from loan l
    where l.id = ${loanId} and l.state = 'on_loan' and l.due_on = ${dueOn}::date
    on conflict do nothing
    returning loan_id`.execute(trx);
  return rows.length === 1;
}

export async function countRecipients(trx: Db, loanId: number, offset: number, dueOn: string, n: number) {
  await trx
    .updateTable('loan_reminder')
    .set({ recipients: n })
    .where('loan_id', '=', loanId)
    .where('offset_days', '=', offset)
    .where('due_on', '=', dueOn)
    .execute();
}
