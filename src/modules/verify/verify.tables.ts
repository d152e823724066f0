import type { ColumnType, Generated } from 'kysely';

// The table verify owns: its runs, each with its verdict (the log and the records it checks are others').

export type VerifyRunStatus = 'running' | 'finished' | 'failed';

/** One run of `yidang verify` (or of the same check started from the console); see the console migration. */
export interface VerifyRunTable {
  id: Generated<number>;
  status: ColumnType<VerifyRunStatus, VerifyRunStatus | undefined, VerifyRunStatus>;
  via: 'cli' | 'api';
  actor: string;
  deep: boolean;
  started_at: ColumnType<Date, Date | undefined, never>;
  finished_at: Date | null;
  /** The verdict; null while running or when the run failed before reaching one. */
  ok: boolean | null;
  problem_count: number | null;
  /** The first problem's message: names records by 档号, event number or digest, never personal data. */
  first_problem: string | null;
  events: number | null;
  items: number | null;
  files: number | null;
  blobs: number | null;
  error: string | null;
}

export interface VerifyTables {
  verify_run: VerifyRunTable;
}
