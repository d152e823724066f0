import { type Kysely, sql } from 'kysely';

// The tamper-evident event log. Events are append-only: a trigger refuses UPDATE, DELETE and
// TRUNCATE for everyone, so only someone who first drops the trigger can rewrite history — and
// `yidang verify` with an exported checkpoint still catches that.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table integrity_event (
      seq bigint primary key check (seq >= 0),
      recorded_at timestamptz not null,
      actor text not null,
      action text not null,
      subject text not null,
      payload text not null,
      hash bytea not null,
      subtrees bytea
    )`.execute(db);
  await sql`create index integrity_event_subject on integrity_event (subject, seq)`.execute(db);
  await sql`create index integrity_event_recorded_at on integrity_event (recorded_at)`.execute(db);
  await sql`
    create function integrity_event_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'integrity_event is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger integrity_event_no_change before update or delete on integrity_event
    for each row execute function integrity_event_append_only()`.execute(db);
  await sql`
    create trigger integrity_event_no_truncate before truncate on integrity_event
    for each statement execute function integrity_event_append_only()`.execute(db);
  await sql`
    create table integrity_log (
      id smallint primary key default 1 check (id = 1),
      origin text not null,
      algorithm text not null check (algorithm in ('sha256', 'sm3')),
      size bigint not null default 0,
      last_hash bytea,
      frontier bytea not null default ''::bytea
    )`.execute(db);
  await sql`
    create table integrity_checkpoint (
      id serial primary key,
      tree_size bigint not null check (tree_size >= 0),
      root_hash bytea not null,
      created_at timestamptz not null default now(),
      created_by text not null,
      note text not null
    )`.execute(db);
  await sql`create index integrity_checkpoint_size on integrity_checkpoint (tree_size)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table integrity_checkpoint`.execute(db);
  await sql`drop table integrity_log`.execute(db);
  await sql`drop table integrity_event`.execute(db);
  await sql`drop function integrity_event_append_only()`.execute(db);
}
