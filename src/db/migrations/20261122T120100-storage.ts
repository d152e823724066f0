import { type Kysely, sql } from 'kysely';

// The blob catalog: one row per distinct content, which replicas hold it, which items it is
// attached to, and the fixity audits.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table storage_blob (
      digest text primary key,
      size bigint not null check (size >= 0),
      stored_size bigint not null,
      stored_digest text not null,
      suite text not null,
      key_id text not null,
      wrapped_key bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index storage_blob_key on storage_blob (key_id)`.execute(db);
  await sql`
    create table storage_copy (
      digest text not null references storage_blob (digest) on delete cascade,
      replica text not null,
      status text not null check (status in ('ok', 'missing', 'corrupt')),
      checked_at timestamptz not null default now(),
      primary key (digest, replica)
    )`.execute(db);
  await sql`
    create table item_file (
      item_id integer not null references archive_item (id),
      file_number integer not null check (file_number > 0),
      digest text not null references storage_blob (digest),
      file_name text not null,
      media_type text not null,
      size bigint not null,
      added_by text not null,
      added_at timestamptz not null default now(),
      primary key (item_id, file_number)
    )`.execute(db);
  await sql`create index item_file_digest on item_file (digest)`.execute(db);
  await sql`
    create table fixity_run (
      id serial primary key,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      actor text not null,
      sample integer,
      blobs integer not null default 0,
      copies integer not null default 0,
      bytes bigint not null default 0,
      ok integer not null default 0,
      repaired integer not null default 0,
      unrepaired integer not null default 0,
      lost integer not null default 0,
      status text not null check (status in ('running', 'finished', 'failed'))
    )`.execute(db);
  await sql`
    create table fixity_finding (
      run_id integer not null references fixity_run (id) on delete cascade,
      digest text not null,
      replica text not null,
      problem text not null check (problem in ('missing', 'corrupt', 'lost')),
      repaired boolean not null,
      detail text not null
    )`.execute(db);
  await sql`create index fixity_finding_run on fixity_finding (run_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table fixity_finding`.execute(db);
  await sql`drop table fixity_run`.execute(db);
  await sql`drop table item_file`.execute(db);
  await sql`drop table storage_copy`.execute(db);
  await sql`drop table storage_blob`.execute(db);
}
