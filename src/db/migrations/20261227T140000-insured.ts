import { type Kysely, sql } from 'kysely';

// 参保人自助查询 (src/modules/insured): who looked at whose records, as a projection of the event log
// keyed by the person's blind index (the log holds 档号, never ID numbers, so the question "who saw
// mine" cannot be asked of it without reading all of it), the follower's position in the log, and
// the certified copies (复制件) insured people asked for, each with its verification code.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table insured_view (
      person_key text not null,
      recorded_at timestamptz not null,
      seq bigint not null,
      archive_code text not null,
      action text not null,
      actor text not null,
      actor_roles text not null default '',
      agency text not null default '',
      purpose text,
      approval text,
      via text,
      primary key (person_key, recorded_at, seq, archive_code)
    )`.execute(db);
  await sql`
    create table insured_view_state (
      id integer primary key check (id = 1),
      last_seq bigint not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table insured_copy (
      id serial primary key,
      copy_no text not null unique,
      code text not null unique,
      username text not null,
      person_key text not null,
      archive_code text not null,
      file_number integer not null,
      purpose text not null,
      status text not null default 'issued' check (status in ('issued', 'revoked')),
      digest text not null,
      media_type text not null,
      file_name text not null,
      content bytea not null,
      requested_at timestamptz not null default now(),
      issued_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index insured_copy_person on insured_copy (person_key, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists insured_copy`.execute(db);
  await sql`drop table if exists insured_view_state`.execute(db);
  await sql`drop table if exists insured_view`.execute(db);
}
