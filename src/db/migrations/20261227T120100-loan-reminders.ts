import { type Kysely, sql } from 'kysely';

// Loan reminders (到期提醒) sent, one row per loan, offset and due date: the idempotency key of the
// scheduled reminder job (a renewal moves the due date, so the new date is reminded of again).
// The overdue list (逾期) reads open paper loans by due date, then number, from one partial index.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table loan_reminder (
    loan_id integer not null references loan (id) on delete cascade,
    offset_days integer not null,
    due_on date not null,
    sent_at timestamptz not null,
    recipients integer not null,
    primary key (loan_id, offset_days, due_on)
  )`.execute(db);
  await sql`create index loan_overdue on loan (due_on, id) where state = 'on_loan' and kind = 'paper'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists loan_overdue`.execute(db);
  await sql`drop table if exists loan_reminder`.execute(db);
}
