import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { archiveCodeOf } from '../catalog/item.queries.js';
import { findItemFile } from '../storage/storage.queries.js';
import type { ScanFormat } from './scan.analyse.js';
import type { OcrStatus, PageFlag } from './scan.tables.js';

// The OCR state of each page, as people see it (queued, running, done, failed, with its text's
// confidence and flags). The queue itself is the job runtime's (ocr.jobs.ts): these rows are
// written by the ocr.page job, whose claim fences them (JobContext.holds in the same transaction).

export interface PageToRead {
  itemId: number;
  archiveCode: string;
  page: number;
  fileNumber: number;
  pageInFile: number;
  dpi: number | null;
  flags: PageFlag[];
  digest: string;
  format: ScanFormat;
}

/** A page and its file, to read; undefined when the page (or its file) is gone. */
export async function pageToRead(db: Db, itemId: number, page: number): Promise<PageToRead | undefined> {
  const row = await db
    .selectFrom('scan_page')
    .select([
      'file_number',
      'page_in_file',
      sql<number | null>`least(dpi_x, dpi_y)`.as('dpi'),
      'flags',
      archiveCodeOf(sql.ref('scan_page.item_id')).as('archive_code'),
    ])
    .where('item_id', '=', itemId)
    .where('page', '=', page)
    .executeTakeFirst();
  if (!row) return undefined;
  // The file is storage's: asked of it by key (one more indexed look-up per page read).
  const file = await findItemFile(db, itemId, row.file_number);
  if (!file) return undefined;
  const format: ScanFormat =
    file.mediaType === 'application/pdf'
      ? 'pdf'
      : file.mediaType === 'image/tiff'
        ? 'tiff'
        : file.mediaType === 'image/png'
          ? 'png'
          : 'jpeg';
  return {
    itemId,
    archiveCode: row.archive_code,
    page,
    fileNumber: row.file_number,
    pageInFile: row.page_in_file,
    dpi: row.dpi,
    flags: row.flags,
    digest: file.digest,
    format,
  };
}

const thePage = (itemId: number, page: number) => sql<boolean>`item_id = ${itemId} and page = ${page}`;

/** The page is being read, in the job's `attempt`-th attempt by `worker`. */
export async function startPage(db: Db, itemId: number, page: number, worker: string, attempt: number) {
  await db
    .updateTable('scan_page')
    .set({ ocr_status: 'running', ocr_attempts: attempt, ocr_worker: worker })
    .where(thePage(itemId, page))
    .execute();
}

/** Records the result (in the transaction where the job's claim was checked). */
export async function finishPage(
  db: Db,
  itemId: number,
  page: number,
  result: { confidence: number | null; characters: number; seconds: number; flags: PageFlag[] },
): Promise<void> {
  await db
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
    .where(thePage(itemId, page))
    .execute();
}

/** A failed attempt: queued again (the job waits out its backoff), or failed for good. */
export async function failPage(db: Db, itemId: number, page: number, error: string, final: boolean) {
  await db
    .updateTable('scan_page')
    .set({
      ocr_status: final ? 'failed' : 'queued',
      ocr_lease_until: null,
      ocr_worker: null,
      ocr_error: error.slice(0, 500),
    })
    .where(thePage(itemId, page))
    .execute();
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

/** Puts failed pages (or all pages of an item, to read them again) back in the queue; returns them. */
export async function requeuePages(
  db: Db,
  options: { itemId?: number; batchId?: number; onlyFailed: boolean },
): Promise<Array<{ itemId: number; page: number }>> {
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
  const rows = await query.returning(['item_id', 'page']).execute();
  return rows.map((row) => ({ itemId: Number(row.item_id), page: row.page }));
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
