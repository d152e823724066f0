import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { JobProgress, JobState, JobTable } from './jobs.tables.js';

// The job tables' queries. Every write by a worker is fenced by (id, worker, attempts, running):
// an attempt whose lease ran out and was claimed again changes nothing. Times come from the
// runtime's clock (a parameter, not now()), so tests move time without waiting.

export interface NewJob {
  kind: string;
  payload?: Record<string, unknown>;
  /** A job waiting (queued) under the same kind and key is not queued again. */
  key?: string;
  maxAttempts?: number;
  runAt?: Date;
  schedule?: string;
}

export interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  state: JobState;
  key: string | null;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  leaseUntil: Date | null;
  worker: string | null;
  progress: JobProgress | null;
  lastError: string | null;
  schedule: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One worker's attempt at a job. */
export interface JobClaim {
  id: number;
  worker: string;
  attempts: number;
}

const parsed = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

type Row = Selectable<JobTable>;

function toJob(row: Row): JobRow {
  return {
    id: Number(row.id),
    kind: row.kind,
    payload: parsed(row.payload),
    state: row.state,
    key: row.idempotency_key,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    leaseUntil: row.lease_until,
    worker: row.worker,
    progress: row.progress === null ? null : parsed(row.progress),
    lastError: row.last_error,
    schedule: row.schedule,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Adds a job (in the caller's transaction when given one); null when one waits under its key. */
export async function insertJob(db: Db, job: NewJob, defaultMaxAttempts: number): Promise<number | null> {
  const row = await db
    .insertInto('job')
    .values({
      kind: job.kind,
      payload: JSON.stringify(job.payload ?? {}),
      idempotency_key: job.key ?? null,
      max_attempts: job.maxAttempts ?? defaultMaxAttempts,
      run_at: job.runAt ?? new Date(),
      schedule: job.schedule ?? null,
    })
    .onConflict((oc) =>
      oc
        .columns(['kind', 'idempotency_key'])
        .where('state', '=', 'queued')
        .where('idempotency_key', 'is not', null)
        .doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

/**
 * Claims the next due job of one of `kinds`: waiting and due, or running with a lapsed lease (its
 * worker died). A running job's run_at is its lease's end, so one index range (kind, run_at) finds
 * both. SKIP LOCKED lets workers on every server claim side by side without waiting.
 */
export async function claimJob(
  db: Db,
  kinds: readonly string[],
  worker: string,
  leaseSeconds: number,
  now: Date,
): Promise<JobRow | undefined> {
  if (kinds.length === 0) return undefined;
  const until = new Date(now.getTime() + leaseSeconds * 1000);
  const result = await sql<Row>`
    update job set state = 'running', attempts = attempts + 1, worker = ${worker},
      lease_until = ${until}, run_at = ${until}, started_at = ${now}
    where id = (
      select id from job
      where kind in (${sql.join(kinds)}) and state in ('queued', 'retry', 'running')
        and run_at <= ${now}
      order by run_at, id
      limit 1 for update skip locked)
    returning *`.execute(db);
  const row = result.rows[0];
  return row ? toJob(row) : undefined;
}

const held = (claim: JobClaim) =>
  sql<boolean>`id = ${claim.id} and state = 'running' and worker = ${claim.worker} and attempts = ${claim.attempts}`;

/** Whether the claim still holds, locking the job's row until the caller's transaction ends. */
export async function lockClaim(db: Db, claim: JobClaim): Promise<boolean> {
  const row = await sql`select id from job where ${held(claim)} for update`.execute(db);
  return row.rows.length > 0;
}

export async function finishJob(db: Db, claim: JobClaim, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('job')
    .set({ state: 'done', lease_until: null, finished_at: now, last_error: null })
    .where(held(claim))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A failed attempt: waits `retryAt` for another, or is dead when that is null. */
export async function failJob(db: Db, claim: JobClaim, error: string, retryAt: Date | null, now: Date) {
  const result = await db
    .updateTable('job')
    .set({
      state: retryAt === null ? 'dead' : 'retry',
      lease_until: null,
      run_at: retryAt ?? now,
      last_error: error.slice(0, 500),
      finished_at: retryAt === null ? now : null,
    })
    .where(held(claim))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setProgress(db: Db, claim: JobClaim, progress: JobProgress): Promise<boolean> {
  const result = await db
    .updateTable('job')
    .set({ progress: JSON.stringify(progress) })
    .where(held(claim))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Extends a running attempt's lease (a long job says it is alive). */
export async function renewClaim(db: Db, claim: JobClaim, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('job')
    .set({ lease_until: until, run_at: until })
    .where(held(claim))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Workers holding running jobs whose names start with `prefix` (this host's). */
export async function jobHolders(db: Db, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('job')
    .select('worker')
    .distinct()
    .where('state', '=', 'running')
    .where('worker', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}%`)
    .execute();
  return rows.map((row) => row.worker as string);
}

/** Makes a dead worker's running jobs claimable at once (their leases count as lapsed). */
export async function lapseLeases(db: Db, worker: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('job')
    .set({ lease_until: new Date(now.getTime() - 1), run_at: new Date(now.getTime() - 1) })
    .where('state', '=', 'running')
    .where('worker', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function getJob(db: Db, id: number): Promise<JobRow | undefined> {
  const row = await db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

export async function listJobs(
  db: Db,
  filter: { state?: JobState; kind?: string; limit: number; before?: number },
): Promise<JobRow[]> {
  let query = db.selectFrom('job').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  return (await query.execute()).map((row) => toJob(row));
}

export async function jobCounts(db: Db): Promise<Record<JobState, number>> {
  const rows = await db
    .selectFrom('job')
    .select(['state', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('state')
    .execute();
  const counts: Record<JobState, number> = { queued: 0, retry: 0, running: 0, done: 0, dead: 0 };
  for (const row of rows) counts[row.state] = Number(row.count);
  return counts;
}

/** A dead job queued again with fresh attempts; false when it is not dead (any more). */
export async function requeueDead(db: Db, id: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('job')
    .set({ state: 'queued', attempts: 0, run_at: now, finished_at: null, worker: null, progress: null })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// Schedules and leases.

export interface Schedule {
  name: string;
  kind: string;
  everySeconds: number;
  payload?: Record<string, unknown>;
}

/** Adds or updates a schedule; its next run stays where it was (a restart does not run it early). */
export async function upsertSchedule(db: Db, schedule: Schedule, firstRunAt: Date): Promise<void> {
  await db
    .insertInto('job_schedule')
    .values({
      name: schedule.name,
      kind: schedule.kind,
      payload: JSON.stringify(schedule.payload ?? {}),
      every_seconds: schedule.everySeconds,
      next_run_at: firstRunAt,
    })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        kind: schedule.kind,
        payload: JSON.stringify(schedule.payload ?? {}),
        every_seconds: schedule.everySeconds,
        // A shorter period takes effect now rather than after the old, longer wait.
        next_run_at: sql`least(job_schedule.next_run_at, ${firstRunAt}::timestamptz)` as never,
      }),
    )
    .execute();
}

/**
 * Takes one due run of a schedule: moves its next run on and returns the schedule, or undefined when
 * it is not due or another server took this run first (the row's lock decides: the loser's update,
 * re-checked after the winner commits, finds next_run_at already moved).
 */
export async function takeDueRun(
  db: Db,
  name: string,
  now: Date,
): Promise<{ kind: string; payload: Record<string, unknown> } | undefined> {
  const result = await sql<{ kind: string; payload: unknown }>`
    update job_schedule set last_run_at = ${now},
      next_run_at = ${now}::timestamptz + make_interval(secs => every_seconds)
    where name = ${name} and next_run_at <= ${now}
    returning kind, payload`.execute(db);
  const row = result.rows[0];
  return row ? { kind: row.kind, payload: parsed(row.payload) } : undefined;
}

export async function dueScheduleNames(db: Db, names: readonly string[], now: Date): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await db
    .selectFrom('job_schedule')
    .select('name')
    .where('name', 'in', names)
    .where('next_run_at', '<=', now)
    .execute();
  return rows.map((row) => row.name);
}

/** Takes or renews a named lease; true when `holder` holds it until `until`. */
export async function takeLease(
  db: Db,
  name: string,
  holder: string,
  now: Date,
  until: Date,
): Promise<boolean> {
  const result = await sql<{ holder: string }>`
    insert into job_lease (name, holder, lease_until) values (${name}, ${holder}, ${until})
    on conflict (name) do update set holder = excluded.holder, lease_until = excluded.lease_until
      where job_lease.holder = excluded.holder or job_lease.lease_until < ${now}
    returning holder`.execute(db);
  return result.rows.length > 0;
}

export async function dropLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('job_lease').where('name', '=', name).where('holder', '=', holder).execute();
}

/** Whether a job of `kind` whose payload contains `match` waits to run. */
export async function jobWaiting(db: Db, kind: string, match: Record<string, unknown>): Promise<boolean> {
  const row = await sql`select 1 from job where kind = ${kind} and state in ('queued', 'retry')
    and payload @> ${JSON.stringify(match)}::jsonb limit 1`.execute(db);
  return row.rows.length > 0;
}
