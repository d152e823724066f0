import { type Kysely, sql } from 'kysely';

// Receipts of archives pushed by business systems (经办即归档): one per source system and 业务流水号,
// so a retry finds the archive it filed, and the lag from 办理时间 to filing can be reported.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ingest_receipt (
      id bigint generated always as identity primary key,
      source text not null check (length(source) between 1 and 50),
      serial text not null check (length(serial) between 1 and 64),
      payload_digest text not null,
      item_id bigint references archive_item (id),
      archive_code text,
      handled_at timestamptz not null,
      received_at timestamptz not null default now(),
      lag_seconds integer not null,
      actor text not null,
      unique (source, serial)
    )`.execute(db);
  await sql`create index ingest_receipt_received on ingest_receipt (received_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists ingest_receipt`.execute(db);
}
