import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { CheckStatus, CheckTargetKind, CheckTrigger } from './check.tables.js';

// The only SQL of the four-property checks: the pages scanned into an item, the numbers used in a
// 档号 sequence, the items of a digitization batch, and the runs and results kept for reports.

export interface ScannedPageFacts {
  fileNumber: number;
  page: number;
  pageInFile: number;
  width: number;
  height: number;
}

export async function scannedPagesOf(db: Db, itemId: number): Promise<ScannedPageFacts[]> {
  return db
    .selectFrom('scan_page')
    .select(['file_number as fileNumber', 'page', 'page_in_file as pageInFile', 'width', 'height'])
    .where('item_id', '=', itemId)
    .orderBy('page')
    .execute();
}

export interface SequenceSelector {
  fondsCode: string;
  /** The sequence as archive_sequence keys it: the 档号 with {item} in place of the number. */
  sequenceKey: string;
  /** The 档号 text before and after the item number. */
  prefix: string;
  suffix: string;
  /** Columns that never change after filing and narrow the search (the 档号 itself is matched too). */
  categoryId?: number;
  year?: number;
  org?: string;
}

export interface SequenceNumbers {
  /** The counter filing takes the next number from (0 when the sequence row is missing). */
  lastNumber: number;
  count: number;
  maxNumber: number;
  /** Up to `limit` numbers in 1..max(last, max) that no item holds. */
  missing: number[];
  missingCount: number;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The numbers one sequence has used and the ones it lacks. */
export async function sequenceNumbers(
  db: Db,
  selector: SequenceSelector,
  limit = 50,
): Promise<SequenceNumbers> {
  const conditions = [
    sql`i.fonds_code = ${selector.fondsCode}`,
    sql`i.archive_code like ${`${likeEscape(selector.prefix)}%${likeEscape(selector.suffix)}`}`,
    sql`length(i.archive_code) > ${selector.prefix.length + selector.suffix.length}`,
  ];
  if (selector.categoryId !== undefined) conditions.push(sql`i.category_id = ${selector.categoryId}`);
  if (selector.year !== undefined) conditions.push(sql`i.year = ${selector.year}`);
  if (selector.org !== undefined) conditions.push(sql`i.org_code = ${selector.org}`);
  // The middle must be the number alone, or another sequence sharing a prefix would be counted.
  const middle = sql`substr(i.archive_code, ${selector.prefix.length + 1},
    length(i.archive_code) - ${selector.prefix.length + selector.suffix.length})`;
  conditions.push(sql`${middle} ~ '^[0-9]+$'`);
  const where = sql.join(conditions, sql` and `);
  const result = await sql<{
    last_number: number | null;
    count: number;
    max_number: number | null;
    missing: number[] | null;
    missing_count: number;
  }>`
    with used as (select i.item_number from archive_item i where ${where}),
    bounds as (
      select (select last_number from archive_sequence
                where fonds_code = ${selector.fondsCode} and sequence_key = ${selector.sequenceKey}) as last_number,
             (select count(*) from used) as count,
             (select max(item_number) from used) as max_number
    ),
    gaps as (
      select n from bounds, generate_series(1, greatest(coalesce(bounds.last_number, 0), coalesce(bounds.max_number, 0))) n
      where not exists (select 1 from used where used.item_number = n)
    )
    select b.last_number, b.count, b.max_number,
      (select array_agg(n order by n) from (select n from gaps order by n limit ${limit}) first_gaps) as missing,
      (select count(*) from gaps) as missing_count
    from bounds b`.execute(db);
  const row = result.rows[0];
  return {
    lastNumber: Number(row?.last_number ?? 0),
    count: Number(row?.count ?? 0),
    maxNumber: Number(row?.max_number ?? 0),
    missing: (row?.missing ?? []).map(Number),
    missingCount: Number(row?.missing_count ?? 0),
  };
}

/** A digitization batch and the items that have pages scanned in it. */
export async function batchItemIds(
  db: Db,
  batchId: number,
): Promise<{ name: string; itemIds: number[] } | undefined> {
  const batch = await db.selectFrom('scan_batch').select('name').where('id', '=', batchId).executeTakeFirst();
  if (!batch) return undefined;
  const rows = await db
    .selectFrom('scan_page')
    .select('item_id')
    .distinct()
    .where('batch_id', '=', batchId)
    .orderBy('item_id')
    .execute();
  return { name: batch.name, itemIds: rows.map((row) => Number(row.item_id)) };
}

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
