import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { VerifyRunTable } from './verify.tables.js';

// The only SQL for the history of verify runs.

export type VerifyRunRow = Selectable<VerifyRunTable>;
export type VerifyOutcome = Pick<
  VerifyRunTable,
  'ok' | 'problem_count' | 'first_problem' | 'events' | 'items' | 'files' | 'blobs'
>;

export async function insertVerifyRun(db: Db, row: Insertable<VerifyRunTable>): Promise<number> {
  const { id } = await db.insertInto('verify_run').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(id);
}

/** Ends a running run; false when it had already ended (it is never ended twice). */
export async function endVerifyRun(
  db: Db,
  id: number,
  end: Partial<VerifyOutcome> & { status: 'finished' | 'failed'; error?: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('verify_run')
    .set({ ...end, finished_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Newest first. */
export function listVerifyRuns(db: Db, limit: number, beforeId?: number): Promise<VerifyRunRow[]> {
  return db
    .selectFrom('verify_run')
    .selectAll()
    .$if(beforeId !== undefined, (query) => query.where('id', '<', beforeId ?? 0))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export function findVerifyRun(db: Db, id: number): Promise<VerifyRunRow | undefined> {
  return db.selectFrom('verify_run').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The run in progress, if any (the database allows one at a time). */
export function runningVerifyRun(db: Db): Promise<VerifyRunRow | undefined> {
  return db.selectFrom('verify_run').selectAll().where('status', '=', 'running').limit(1).executeTakeFirst();
}
