import { type Kysely, sql } from 'kysely';

// The job runtime (src/modules/jobs): background work kept in the database, so a crash loses none
// of it and several servers on one database share it. The OCR queue's pages still waiting move into
// it as jobs here (the migration carries that step itself; it imports no live code).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table job (
      id bigserial primary key,
      kind text not null,
      payload jsonb not null default '{}',
      state text not null default 'queued'
        check (state in ('queued', 'retry', 'running', 'done', 'dead')),
      idempotency_key text,
      attempts integer not null default 0,
      max_attempts integer not null check (max_attempts >= 1),
      run_at timestamptz not null default now(),
      lease_until timestamptz,
      worker text,
      progress jsonb,
      last_error text,
      schedule text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    )`.execute(db);
  // What a worker claims: waiting jobs by when they are due (and running ones, for lapsed leases).
  await sql`create index job_ready on job (kind, run_at, id) where state in ('queued', 'retry', 'running')`.execute(
    db,
  );
  await sql`create index job_by_state on job (state, id)`.execute(db);
  // A job waiting under a key is not queued twice (an archive already waiting for its check).
  await sql`create unique index job_waiting_key on job (kind, idempotency_key)
    where state = 'queued' and idempotency_key is not null`.execute(db);
  await sql`
    create table job_schedule (
      name text primary key,
      kind text not null,
      payload jsonb not null default '{}',
      every_seconds integer not null check (every_seconds > 0),
      next_run_at timestamptz not null,
      last_run_at timestamptz
    )`.execute(db);
  await sql`
    create table job_lease (
      name text primary key,
      holder text not null,
      lease_until timestamptz not null
    )`.execute(db);
  // Pages the OCR queue held become jobs; the page row keeps its status, text and flags.
  await sql`
    insert into job (kind, payload, state, attempts, max_attempts, run_at, idempotency_key)
    select 'ocr.page', jsonb_build_object('itemId', item_id, 'page', page), 'queued',
      least(ocr_attempts, 3), 3, ocr_available_at, item_id || ':' || page
    from scan_page where ocr_status in ('queued', 'running')
    order by ocr_available_at, item_id, page`.execute(db);
  await sql`update scan_page set ocr_status = 'queued', ocr_worker = null, ocr_lease_until = null
    where ocr_status = 'running'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists job_lease`.execute(db);
  await sql`drop table if exists job_schedule`.execute(db);
  await sql`drop table if exists job`.execute(db);
}
