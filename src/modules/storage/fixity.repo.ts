import type { Db } from '../../db/database.js';
import type { FixityFindingTable, FixityRunTable } from './storage.tables.js';

// The only SQL for fixity audit runs and their findings.

export type FixityCounts = Pick<
  FixityRunTable,
  'blobs' | 'copies' | 'bytes' | 'ok' | 'repaired' | 'unrepaired' | 'lost'
>;

export async function startRun(db: Db, actor: string, sample: number | null): Promise<number> {
  const row = await db
    .insertInto('fixity_run')
    .values({
      actor,
      sample,
      blobs: 0,
      copies: 0,
      bytes: 0,
      ok: 0,
      repaired: 0,
      unrepaired: 0,
      lost: 0,
      status: 'running',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function finishRun(
  db: Db,
  id: number,
  counts: FixityCounts,
  status: 'finished' | 'failed',
): Promise<void> {
  await db
    .updateTable('fixity_run')
    .set({ ...counts, status, finished_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function insertFindings(db: Db, findings: readonly FixityFindingTable[]): Promise<void> {
  if (findings.length > 0)
    await db
      .insertInto('fixity_finding')
      .values([...findings])
      .execute();
}

export async function listRuns(db: Db, limit: number) {
  return db.selectFrom('fixity_run').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

export async function runFindings(db: Db, runId: number) {
  return db.selectFrom('fixity_finding').selectAll().where('run_id', '=', runId).execute();
}
