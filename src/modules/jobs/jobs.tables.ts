import type { ColumnType, Generated } from 'kysely';

// Row shapes of the job runtime's tables (see the jobs migration): the jobs themselves, the
// recurring schedules that make them, and named leases (one holder at a time across servers).

/**
 * queued: waiting to run; retry: failed, waiting out its backoff; running: claimed by a worker
 * until lease_until; done; dead: failed max_attempts times, kept for an administrator to retry.
 */
export type JobState = 'queued' | 'retry' | 'running' | 'done' | 'dead';

export interface JobProgress {
  done: number;
  total: number | null;
  note?: string;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  state: ColumnType<JobState, JobState | undefined, JobState>;
  idempotency_key: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  run_at: ColumnType<Date, Date | undefined, Date>;
  lease_until: Date | null;
  worker: string | null;
  progress: ColumnType<JobProgress | null, string | null, string | null>;
  last_error: string | null;
  schedule: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface JobScheduleTable {
  name: string;
  kind: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  every_seconds: number;
  next_run_at: Date;
  last_run_at: Date | null;
}

export interface JobLeaseTable {
  name: string;
  holder: string;
  lease_until: Date;
}

export interface JobTables {
  job: JobTable;
  job_schedule: JobScheduleTable;
  job_lease: JobLeaseTable;
}
