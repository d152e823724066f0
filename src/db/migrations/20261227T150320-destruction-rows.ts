import { type Kysely, sql } from 'kysely';

// 销毁清册, second step: a row the carry-out refused (a hold, a loan or a change since approval) keeps
// its reason; each row keeps the digest of the file list drawn (files attached later are a change)
// and, for paper, where the paper lies until it is destroyed; a register can be withdrawn with a reason.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table destruction_row drop constraint destruction_row_state_check`,
    sql`alter table destruction_row add constraint destruction_row_state_check
      check (state in ('pending', 'shredding', 'destroyed', 'refused'))`,
    sql`alter table destruction_row add column refusal varchar(20)`,
    sql`alter table destruction_row add column files_digest varchar(80) not null default ''`,
    sql`alter table destruction_row add column paper_location varchar(200)`,
    sql`alter table destruction_register add column withdrawn_by varchar(100)`,
    sql`alter table destruction_register add column withdrawn_at timestamptz`,
    sql`alter table destruction_register add column withdraw_reason varchar(500)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['withdrawn_by', 'withdrawn_at', 'withdraw_reason'])
    await sql`alter table destruction_register drop column if exists ${sql.ref(column)}`.execute(db);
  for (const column of ['refusal', 'files_digest', 'paper_location'])
    await sql`alter table destruction_row drop column if exists ${sql.ref(column)}`.execute(db);
}
