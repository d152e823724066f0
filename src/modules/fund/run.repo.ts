import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RunCounts, RunRules, RunState } from './rule.tables.js';

// The runs' SQL (fund_run, this module's own table).

export interface RunRow {
  id: number;
  region_prefix: string;
  period_from: string;
  period_to: string;
  rules: RunRules;
  job_id: number | null;
  state: RunState;
  counts: RunCounts;
  error: string | null;
  started_by: string;
  started_at: Date;
  finished_at: Date | null;
}

export async function insertRun(
  db: Db,
  run: { region: string; from: string; to: string; rules: RunRules; by: string; state: RunState },
): Promise<number> {
  const row = await db
    .insertInto('fund_run')
    .values({
      region_prefix: run.region,
      period_from: run.from,
      period_to: run.to,
      rules: JSON.stringify(run.rules),
      state: run.state,
      started_by: run.by,
      started_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setRunJob(db: Db, id: number, jobId: number | null): Promise<void> {
  await db.updateTable('fund_run').set({ job_id: jobId }).where('id', '=', id).execute();
}

export async function markRun(
  db: Db,
  id: number,
  change: { state: RunState; counts?: RunCounts; error?: string | null; finished?: boolean },
): Promise<void> {
  await db
    .updateTable('fund_run')
    .set({
      state: change.state,
      ...(change.counts ? { counts: JSON.stringify(change.counts) } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
      ...(change.finished ? { finished_at: new Date() } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export const findRun = (db: Db, id: number): Promise<RunRow | undefined> =>
  db.selectFrom('fund_run').selectAll().where('id', '=', id).executeTakeFirst() as Promise<
    RunRow | undefined
  >;

/** Runs whose region lies within the regions (null: all), newest first. */
export async function listRunRows(
  db: Db,
  regions: readonly string[] | null,
  limit: number,
  before?: number,
): Promise<RunRow[]> {
  const { rows } = await sql<RunRow>`
    select * from fund_run
    where ${regions === null ? sql`true` : regions.length === 0 ? sql`false` : sql`region_prefix like any (${sql`array[${sql.join(regions.map((prefix) => sql`${`${prefix}%`}::text`))}]`})`}
      and ${before === undefined ? sql`true` : sql`id < ${before}`}
    order by id desc limit ${limit}`.execute(db);
  return rows;
}
