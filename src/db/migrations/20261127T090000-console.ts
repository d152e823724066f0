import { type Kysely, sql } from 'kysely';

// The web console's own records: each user's saved searches (检索方案), and the history of
// `yidang verify` runs, so the dashboard can say when the archive was last proved whole.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table saved_search (
      user_id integer not null references app_user (id) on delete cascade,
      name varchar(40) not null check (length(name) between 1 and 40),
      query text not null,
      filters jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (user_id, name)
    )`.execute(db);
  await sql`
    create table verify_run (
      id bigint generated always as identity primary key,
      status text not null default 'running' check (status in ('running', 'finished', 'failed')),
      via text not null check (via in ('cli', 'api')),
      actor text not null,
      deep boolean not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      ok boolean,
      problem_count integer check (problem_count >= 0),
      first_problem text,
      events integer,
      items integer,
      files integer,
      blobs integer,
      -- Why a run ended without a verdict (the server stopped, the database went away).
      error text,
      check (status = 'running' or finished_at is not null),
      check (status <> 'finished' or ok is not null)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists verify_run`.execute(db);
  await sql`drop table if exists saved_search`.execute(db);
}
