import { type Kysely, sql } from 'kysely';

// 移交批次. transfer_batch (transfer's) is one batch drawn for the archives bureau (or, kind person,
// for another agency when an insured person moves) with its state, the exported bag's digest and the
// receiver's signed 回执; each transfer_item is one item as drawn (included or refused with a reason),
// then accepted or rejected by the receiver. archive_item (catalog's) gains the 已移交 mark: the batch,
// when, and until when the sender keeps its read-only copy.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table archive_item add column transferred_batch varchar(40)`,
    sql`alter table archive_item add column transferred_at timestamptz`,
    sql`alter table archive_item add column transfer_keep_until date`,
    sql`create index archive_item_transferred on archive_item (transferred_batch) where transferred_batch is not null`,
    sql`create table transfer_sequence (
      fonds_code varchar(4) not null,
      year integer not null,
      last_number integer not null,
      primary key (fonds_code, year)
    )`,
    sql`create table transfer_batch (
      id serial primary key,
      code varchar(40) not null unique,
      fonds_code varchar(4) not null,
      year integer not null,
      number integer not null,
      kind varchar(8) not null check (kind in ('fonds', 'person')),
      selector jsonb not null,
      receiver varchar(200) not null,
      receiver_key text,
      state varchar(12) not null default 'drawn'
        check (state in ('drawn', 'exported', 'accepted', 'withdrawn')),
      drawn_by varchar(100) not null,
      drawn_at timestamptz not null,
      exported_by varchar(100),
      exported_at timestamptz,
      export_digest varchar(200),
      export_algorithm varchar(8),
      payload_oxum varchar(60),
      receipt text,
      receipt_digest varchar(200),
      received_by varchar(200),
      received_at timestamptz,
      accepted_by varchar(100),
      accepted_at timestamptz,
      keep_until date,
      withdrawn_by varchar(100),
      withdrawn_at timestamptz,
      withdraw_reason varchar(500),
      unique (fonds_code, year, number)
    )`,
    sql`create table transfer_item (
      batch_id integer not null references transfer_batch (id),
      seq integer not null,
      item_id integer not null,
      archive_code varchar(100) not null,
      title varchar(500) not null,
      year integer not null,
      retention varchar(4) not null,
      category varchar(40) not null,
      item_version integer not null,
      files integer not null default 0,
      bytes bigint not null default 0,
      state varchar(10) not null check (state in ('included', 'refused', 'accepted', 'rejected')),
      reason varchar(40),
      detail varchar(500),
      check_run integer,
      check_summary jsonb,
      primary key (batch_id, seq),
      unique (batch_id, item_id)
    )`,
    sql`create index transfer_item_item on transfer_item (item_id)`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['transfer_item', 'transfer_batch', 'transfer_sequence'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  await sql`drop index if exists archive_item_transferred`.execute(db);
  for (const column of ['transferred_batch', 'transferred_at', 'transfer_keep_until'])
    await sql`alter table archive_item drop column if exists ${sql.ref(column)}`.execute(db);
}
