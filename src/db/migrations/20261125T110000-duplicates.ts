import { type Kysely, sql } from 'kysely';

// Duplicates flagged at ingest (the same business filed twice, or one serial pushed by two systems),
// kept until an archivist keeps both or names the record that stands. The index finds the same
// insured person's same business around the same time without reading the catalog.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index archive_item_business on archive_item (insured_number, business_type, handled_at)
    where insured_number is not null and business_type is not null and handled_at is not null`.execute(db);
  await sql`
    create table duplicate_flag (
      id bigint generated always as identity primary key,
      item_id bigint not null references archive_item (id),
      other_item_id bigint not null references archive_item (id),
      rule text not null check (rule in ('same_business', 'same_serial')),
      fields text[] not null,
      status text not null default 'open' check (status in ('open', 'kept', 'merged')),
      kept_item_id bigint references archive_item (id),
      flagged_at timestamptz not null default now(),
      resolved_by text,
      resolved_at timestamptz,
      reason text,
      unique (item_id, other_item_id, rule),
      check (item_id <> other_item_id)
    )`.execute(db);
  await sql`create index duplicate_flag_open on duplicate_flag (id) where status = 'open'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists duplicate_flag`.execute(db);
  await sql`drop index if exists archive_item_business`.execute(db);
}
