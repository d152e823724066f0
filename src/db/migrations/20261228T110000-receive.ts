import { type Kysely, sql } from 'kysely';

// 接收 (transfer's receiving side). receive_bag is one bag received: which batch from which sender, the
// bag's digest, the sender's checkpoint and signing key the proofs were checked against, the problems
// of the bag as a whole, and the signed 回执 returned. receive_item is one 件 of it: the sender's 档号,
// accepted (with the item filed here) or rejected with the reason, the four-property results, and the
// item's history as received (its events with inclusion proofs), so the receiver can show it.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table receive_bag (
      id serial primary key,
      batch varchar(100) not null,
      kind varchar(8) not null check (kind in ('fonds', 'person')),
      sender varchar(200) not null,
      digest_algorithm varchar(8) not null,
      bag_digest varchar(200) not null,
      fonds_code varchar(4) not null,
      state varchar(10) not null check (state in ('accepted', 'partial', 'rejected')),
      problems jsonb not null,
      checkpoint text,
      signing_key text,
      receipt text not null,
      receipt_digest varchar(100) not null,
      received_by varchar(100) not null,
      received_at timestamptz not null
    )`,
    sql`create index receive_bag_batch on receive_bag (batch, bag_digest)`,
    sql`create table receive_item (
      bag_id integer not null references receive_bag (id),
      seq integer not null,
      source_archive_code varchar(100) not null,
      source_organisation varchar(200) not null,
      accepted boolean not null,
      reason varchar(2000),
      item_id integer,
      archive_code varchar(100),
      checks jsonb not null,
      history jsonb,
      primary key (bag_id, seq)
    )`,
    sql`create index receive_item_item on receive_item (item_id) where item_id is not null`,
    sql`create index receive_item_source on receive_item (source_organisation, source_archive_code) where accepted`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['receive_item', 'receive_bag'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
