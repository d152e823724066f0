import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ScanFormat } from './scan.analyse.js';
import type { OcrStatus, PageFlag } from './scan.tables.js';

// The OCR queue is the scan_page table: a page is claimed by setting a lease, so a worker that dies
// mid-page leaves a lease that runs out and the page is claimed again.

/** A page as one worker's attempt holds it: a write by an attempt that lost its lease changes nothing. */
export interface PageClaim {
  itemId: number;
  page: number;
  worker: string;
  attempts: number;
}

export interface ClaimedPage extends PageClaim {
  itemId: number;
  archiveCode: string;
  page: number;
  fileNumber: number;
  pageInFile: number;
  dpi: number | null;
  attempts: number;
  flags: PageFlag[];
  digest: string;
  format: ScanFormat;
}

export async function claimPage(
  db: Db,
  leaseSeconds: number,
  worker: string,
): Promise<ClaimedPage | undefined> {
  const result = await sql<{
    item_id: string;
    page: number;
    file_number: number;
    page_in_file: number;
    dpi: number | null;
    ocr_attempts: number;
    flags: PageFlag[];
  }>`
    update scan_page set ocr_status = 'running', ocr_attempts = ocr_attempts + 1,
      ocr_lease_until = now() + make_interval(secs => ${leaseSeconds}), ocr_worker = ${worker}
    where (item_id, page) = (
      select item_id, page from scan_page
      where ocr_status in ('queued', 'running') and ocr_available_at <= now()
        and (ocr_status = 'queued' or ocr_lease_until < now())
      order by ocr_available_at, item_id, page
      limit 1 for update skip locked)
    returning item_id, page, file_number, page_in_file, least(dpi_x, dpi_y) as dpi, ocr_attempts, flags`.execute(
    db,
  );
  const row = result.rows[0];
  if (!row) return undefined;
  const file = await db
    .selectFrom('item_file')
    .innerJoin('archive_item', 'archive_item.id', 'item_file.item_id')
    .select(['item_file.digest', 'item_file.media_type', 'archive_item.archive_code'])
    .where('item_file.item_id', '=', Number(row.item_id))
    .where('item_file.file_number', '=', row.file_number)
    .executeTakeFirstOrThrow();
  const format: ScanFormat =
    file.media_type === 'application/pdf'
      ? 'pdf'
      : file.media_type === 'image/tiff'
        ? 'tiff'
        : file.media_type === 'image/png'
          ? 'png'
          : 'jpeg';
  return {
    itemId: Number(row.item_id),
    archiveCode: file.archive_code,
    page: row.page,
    fileNumber: row.file_number,
    pageInFile: row.page_in_file,
    dpi: row.dpi,
    attempts: row.ocr_attempts,
    worker,
    flags: row.flags,
    digest: file.digest,
    format,
  };
}

const stillHeld = (claim: PageClaim) =>
  sql<boolean>`item_id = ${claim.itemId} and page = ${claim.page} and ocr_status = 'running'
    and ocr_worker = ${claim.worker} and ocr_attempts = ${claim.attempts}`;

/** Records the result; false when the claim was lost (its lease ran out and another worker took it). */
export async function finishPage(
  db: Db,
  claim: PageClaim,
  result: { confidence: number | null; characters: number; seconds: number; flags: PageFlag[] },
): Promise<boolean> {
  const updated = await db
    .updateTable('scan_page')
    .set({
      ocr_status: 'done',
      ocr_lease_until: null,
      ocr_worker: null,
      ocr_error: null,
      ocr_confidence: result.confidence,
      ocr_characters: result.characters,
      ocr_seconds: result.seconds,
      ocr_done_at: new Date(),
      flags: sql`${result.flags}::text[]` as never,
    })
    .where(stillHeld(claim))
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Workers holding leases whose names start with `prefix` (this host's). */
export async function leaseHolders(db: Db, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('scan_page')
    .select('ocr_worker')
    .distinct()
    .where('ocr_status', '=', 'running')
    .where('ocr_worker', 'like', `${prefix.replace(/[\\%_]/g, '\\$&')}%`)
    .execute();
  return rows.map((row) => row.ocr_worker as string);
}

/** Gives the pages a dead worker held back to the queue (the attempt still counts). */
export async function releaseLeases(db: Db, worker: string): Promise<number> {
  const result = await db
    .updateTable('scan_page')
    .set({ ocr_status: 'queued', ocr_lease_until: null, ocr_worker: null, ocr_available_at: new Date() })
    .where('ocr_status', '=', 'running')
    .where('ocr_worker', '=', worker)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A failed attempt: queued again after `retryInSeconds`, or failed for good when that is null. */
export async function failPage(
  db: Db,
  claim: PageClaim,
  error: string,
  retryInSeconds: number | null,
): Promise<boolean> {
  const updated = await db
    .updateTable('scan_page')
    .set({
      ocr_status: retryInSeconds === null ? 'failed' : 'queued',
      ocr_lease_until: null,
      ocr_worker: null,
      ocr_error: error.slice(0, 500),
      ocr_available_at: sql`now() + make_interval(secs => ${retryInSeconds ?? 0})` as never,
    })
    .where(stillHeld(claim))
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

export interface OcrCounts {
  byStatus: Record<OcrStatus, number>;
  lowConfidence: number;
  noText: number;
  /** Pages finished in the last ten minutes, for the rate. */
  recentlyDone: number;
  meanConfidence: number | null;
  meanSeconds: number | null;
}

export async function ocrCounts(db: Db, batchId?: number): Promise<OcrCounts> {
  let query = db
    .selectFrom('scan_page')
    .select([
      sql<string>`count(*) filter (where ocr_status = 'queued')`.as('queued'),
      sql<string>`count(*) filter (where ocr_status = 'running')`.as('running'),
      sql<string>`count(*) filter (where ocr_status = 'done')`.as('done'),
      sql<string>`count(*) filter (where ocr_status = 'failed')`.as('failed'),
      sql<string>`count(*) filter (where 'low_confidence' = any(flags))`.as('lowConfidence'),
      sql<string>`count(*) filter (where 'no_text' = any(flags))`.as('noText'),
      sql<string>`count(*) filter (where ocr_done_at > now() - interval '10 minutes')`.as('recentlyDone'),
      sql<number | null>`avg(ocr_confidence)`.as('meanConfidence'),
      sql<number | null>`avg(ocr_seconds)`.as('meanSeconds'),
    ]);
  if (batchId !== undefined) query = query.where('batch_id', '=', batchId);
  const row = await query.executeTakeFirstOrThrow();
  const mean = (value: number | string | null) =>
    value === null ? null : Math.round(Number(value) * 10) / 10;
  return {
    byStatus: {
      queued: Number(row.queued),
      running: Number(row.running),
      done: Number(row.done),
      failed: Number(row.failed),
    },
    lowConfidence: Number(row.lowConfidence),
    noText: Number(row.noText),
    recentlyDone: Number(row.recentlyDone),
    meanConfidence: mean(row.meanConfidence),
    meanSeconds: mean(row.meanSeconds),
  };
}

/** Puts failed pages (or all pages of an item, to read them again) back in the queue. */
export async function requeuePages(
  db: Db,
  options: { itemId?: number; batchId?: number; onlyFailed: boolean },
): Promise<number> {
  let query = db.updateTable('scan_page').set({
    ocr_status: 'queued',
    ocr_attempts: 0,
    ocr_error: null,
    ocr_available_at: new Date(),
    ocr_lease_until: null,
  });
  if (options.itemId !== undefined) query = query.where('item_id', '=', options.itemId);
  if (options.batchId !== undefined) query = query.where('batch_id', '=', options.batchId);
  query = options.onlyFailed
    ? query.where('ocr_status', '=', 'failed')
    : query.where('ocr_status', 'in', ['done', 'failed']);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Pages waiting for OCR or being read now, from the queue's partial index (cheap at any size). */
export async function ocrQueueCounts(db: Db): Promise<{ queued: number; running: number }> {
  const rows = await db
    .selectFrom('scan_page')
    .where('ocr_status', 'in', ['queued', 'running'])
    .select(['ocr_status as status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('ocr_status')
    .execute();
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
  return { queued: count('queued'), running: count('running') };
}
