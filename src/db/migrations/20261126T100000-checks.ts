import { type Kysely, sql } from 'kysely';

// Four-property checks (四性检测, DA/T 70-2018): each run is kept with one row per item and check, so
// a report can be fetched and exported later and a check made at ingest leaves its record.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table check_run (
      id bigint generated always as identity primary key,
      trigger text not null check (trigger in ('on_demand', 'ingest', 'transfer')),
      target_kind text not null check (target_kind in ('item', 'batch', 'fonds_year')),
      target text not null,
      run_by text not null,
      started_at timestamptz not null,
      finished_at timestamptz not null default now(),
      items integer not null check (items >= 0),
      failed_items integer not null check (failed_items >= 0),
      passed integer not null,
      failed integer not null,
      skipped integer not null
    )`.execute(db);
  await sql`
    create table check_result (
      run_id bigint not null references check_run (id),
      item_id bigint not null references archive_item (id),
      check_id text not null check (check_id ~ '^[a-z_]{1,40}$'),
      status text not null check (status in ('pass', 'fail', 'skipped')),
      detail text not null,
      primary key (run_id, item_id, check_id)
    )`.execute(db);
  await sql`create index check_result_item on check_result (item_id, run_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists check_result`.execute(db);
  await sql`drop table if exists check_run`.execute(db);
}
