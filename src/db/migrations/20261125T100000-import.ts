import { type Kysely, sql } from 'kysely';

// Batch import (批量导入): column mappings saved per source, and for each imported file a job with
// the lines it has filed, committed with each batch, so a re-run after a crash files only the rest.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table import_mapping (
      name text primary key check (length(name) between 1 and 50),
      mapping jsonb not null,
      saved_by text not null,
      saved_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table import_job (
      id bigint generated always as identity primary key,
      file_digest text not null,
      mapping_digest text not null,
      file_name text not null,
      total_rows integer not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      unique (file_digest, mapping_digest)
    )`.execute(db);
  await sql`
    create table import_line (
      job_id bigint not null references import_job (id),
      line integer not null,
      item_id bigint not null references archive_item (id),
      archive_code text not null,
      primary key (job_id, line)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists import_line`.execute(db);
  await sql`drop table if exists import_job`.execute(db);
  await sql`drop table if exists import_mapping`.execute(db);
}
