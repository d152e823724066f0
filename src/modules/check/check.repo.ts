import type { Db } from '../../db/database.js';
import type { CheckStatus, CheckTargetKind, CheckTrigger } from './check.tables.js';

// The only SQL of the four-property checks: the runs and results kept for reports. What a check
// reads of other modules' tables (the pages scanned into an item, the numbers used in a 档号
// sequence, the items of a digitization batch) it asks of their owners (scan, catalog).

export interface NewCheckRun {
  trigger: CheckTrigger;
  targetKind: CheckTargetKind;
  target: string;
  runBy: string;
  startedAt: Date;
  items: number;
  failedItems: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface CheckRunRow extends NewCheckRun {
  id: number;
  finishedAt: Date;
}

export interface CheckResultRow {
  itemId: number;
  checkId: string;
  status: CheckStatus;
  detail: string;
}

export async function insertCheckRun(db: Db, run: NewCheckRun): Promise<number> {
  const row = await db
    .insertInto('check_run')
    .values({
      trigger: run.trigger,
      target_kind: run.targetKind,
      target: run.target,
      run_by: run.runBy,
      started_at: run.startedAt,
      items: run.items,
      failed_items: run.failedItems,
      passed: run.passed,
      failed: run.failed,
      skipped: run.skipped,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertCheckResults(
  db: Db,
  runId: number,
  results: readonly CheckResultRow[],
): Promise<void> {
  for (let start = 0; start < results.length; start += 1000) {
    await db
      .insertInto('check_result')
      .values(
        results.slice(start, start + 1000).map((result) => ({
          run_id: runId,
          item_id: result.itemId,
          check_id: result.checkId,
          status: result.status,
          detail: result.detail,
        })),
      )
      .execute();
  }
}

export async function findCheckRun(db: Db, id: number): Promise<CheckRunRow | undefined> {
  const row = await db.selectFrom('check_run').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: Number(row.id),
    trigger: row.trigger,
    targetKind: row.target_kind,
    target: row.target,
    runBy: row.run_by,
    startedAt: new Date(row.started_at),
    finishedAt: new Date(row.finished_at),
    items: row.items,
    failedItems: row.failed_items,
    passed: row.passed,
    failed: row.failed,
    skipped: row.skipped,
  };
}

export async function checkResultsOf(db: Db, runId: number): Promise<CheckResultRow[]> {
  const rows = await db
    .selectFrom('check_result')
    .select(['item_id as itemId', 'check_id as checkId', 'status', 'detail'])
    .where('run_id', '=', runId)
    .orderBy('item_id')
    .execute();
  return rows.map((row) => ({ ...row, itemId: Number(row.itemId) }));
}
