import { type Kysely, sql } from 'kysely';

// The 利用登记簿 (use register): one row per use of an archive — a paper loan handed over, an
// electronic reading, a copy, a query answered for an insured person. Derived from the event log by
// the register's follower (use_state holds how far it has read, committed with the rows), so a
// restored or new database builds it again from the log. use_subject keeps what a request said
// (borrower, purpose) until its uses arrive, as the follower read it from the log.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table use_register (
      event_seq bigint not null,
      ordinal integer not null check (ordinal >= 0),
      kind varchar(12) not null check (kind in ('paper', 'electronic', 'copy', 'query')),
      used_at timestamptz not null,
      actor varchar(100) not null,
      user_name varchar(100),
      organisation varchar(200),
      person varchar(100),
      letter_no varchar(100),
      department varchar(200) not null,
      purpose varchar(500),
      loan_number varchar(40),
      item_code varchar(100),
      fonds_code varchar(4),
      category_id integer,
      pooling_region varchar(6),
      detail varchar(200),
      effect varchar(20) check (effect in ('voucher', 'rights', 'audit', 'compilation', 'other')),
      effect_note varchar(500),
      effect_by varchar(100),
      effect_at timestamptz,
      primary key (event_seq, ordinal)
    )`,
    sql`create index use_register_used_at on use_register (used_at)`,
    sql`create index use_register_fonds_used_at on use_register (fonds_code, used_at)`,
    sql`create index use_register_user on use_register (user_name, used_at)`,
    sql`create table use_subject (
      subject varchar(300) primary key,
      kind varchar(12) not null,
      user_name varchar(100),
      organisation varchar(200),
      person varchar(100),
      letter_no varchar(100),
      purpose varchar(500)
    )`,
    sql`create table use_state (
      id integer primary key check (id = 1),
      last_seq bigint not null check (last_seq >= -1),
      updated_at timestamptz not null default now()
    )`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['use_state', 'use_subject', 'use_register'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
