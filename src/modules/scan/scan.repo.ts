import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { fondsScanSettings, setFondsScanSettings } from '../catalog/catalog.queries.js';
import type { BatchStatus, ColourMode, OcrStatus, PageFlag, ScanPageTable } from './scan.tables.js';

// The only SQL of scanned pages, digitization batches and the fonds' scan policy.

export interface ScanPolicy {
  minDpi: number;
  lowDpi: 'reject' | 'flag';
}

// The policy is kept on the fonds, the catalog's row: read and set through the catalog.
export function findScanPolicy(db: Db, fondsCode: string): Promise<ScanPolicy | undefined> {
  return fondsScanSettings(db, fondsCode);
}

export function updateScanPolicy(db: Db, fondsCode: string, policy: ScanPolicy): Promise<boolean> {
  return setFondsScanSettings(db, fondsCode, policy);
}

/** A page row as a scan writes it; the OCR columns start at their defaults. */
export type NewScanPage = Pick<
  ScanPageTable,
  | 'item_id'
  | 'page'
  | 'file_number'
  | 'page_in_file'
  | 'image_name'
  | 'batch_id'
  | 'width'
  | 'height'
  | 'dpi_x'
  | 'dpi_y'
  | 'colour_mode'
> & { flags: PageFlag[] };

/** The item's last scanned page number (0 when none); call with the item row locked. */
export async function lastScanPage(db: Db, itemId: number): Promise<number> {
  const row = await db
    .selectFrom('scan_page')
    .select((eb) => eb.fn.max('page').as('last'))
    .where('item_id', '=', itemId)
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

export async function insertScanPages(db: Db, pages: readonly NewScanPage[]): Promise<void> {
  for (let start = 0; start < pages.length; start += 500)
    await db
      .insertInto('scan_page')
      .values(
        pages
          .slice(start, start + 500)
          .map((page) => ({ ...page, flags: sql`${page.flags}::text[]` })) as never,
      )
      .execute();
}

export interface ScanPageRow {
  itemId: number;
  page: number;
  fileNumber: number;
  pageInFile: number;
  imageName: string;
  batchId: number | null;
  width: number;
  height: number;
  dpiX: number | null;
  dpiY: number | null;
  colourMode: ColourMode;
  flags: PageFlag[];
  ocrStatus: OcrStatus;
  ocrAttempts: number;
  ocrError: string | null;
  ocrConfidence: number | null;
  ocrCharacters: number | null;
}

const pageColumns = [
  'item_id as itemId',
  'page',
  'file_number as fileNumber',
  'page_in_file as pageInFile',
  'image_name as imageName',
  'batch_id as batchId',
  'width',
  'height',
  'dpi_x as dpiX',
  'dpi_y as dpiY',
  'colour_mode as colourMode',
  'flags',
  'ocr_status as ocrStatus',
  'ocr_attempts as ocrAttempts',
  'ocr_error as ocrError',
  'ocr_confidence as ocrConfidence',
  'ocr_characters as ocrCharacters',
] as const;

const normalise = (row: ScanPageRow): ScanPageRow => ({
  ...row,
  itemId: Number(row.itemId),
  batchId: row.batchId === null ? null : Number(row.batchId),
});

export async function listScanPages(db: Db, itemId: number): Promise<ScanPageRow[]> {
  const rows = await db
    .selectFrom('scan_page')
    .select(pageColumns)
    .where('item_id', '=', itemId)
    .orderBy('page')
    .execute();
  return (rows as ScanPageRow[]).map(normalise);
}

/** Flagged pages (to be scanned again), oldest item first, after a (item, page) cursor. */
export async function flaggedScanPages(
  db: Db,
  options: { batchId?: number; after?: { itemId: number; page: number }; limit: number },
): Promise<ScanPageRow[]> {
  let query = db.selectFrom('scan_page').select(pageColumns).where(sql<boolean>`flags <> '{}'`);
  if (options.batchId !== undefined) query = query.where('batch_id', '=', options.batchId);
  if (options.after)
    query = query.where(sql<boolean>`(item_id, page) > (${options.after.itemId}, ${options.after.page})`);
  const rows = await query.orderBy('item_id').orderBy('page').limit(options.limit).execute();
  return (rows as ScanPageRow[]).map(normalise);
}

export interface BatchRow {
  id: number;
  fondsCode: string;
  name: string;
  status: BatchStatus;
  sampleRate: number;
  maxErrorRate: number;
  createdBy: string;
  createdAt: Date;
}

const batchColumns = [
  'id',
  'fonds_code as fondsCode',
  'name',
  'status',
  'sample_rate as sampleRate',
  'max_error_rate as maxErrorRate',
  'created_by as createdBy',
  'created_at as createdAt',
] as const;

const toBatch = (row: Record<string, unknown>): BatchRow => ({
  ...(row as unknown as BatchRow),
  id: Number(row.id),
  sampleRate: Number(row.sampleRate),
  maxErrorRate: Number(row.maxErrorRate),
});

export async function insertBatch(
  db: Db,
  batch: { fondsCode: string; name: string; sampleRate: number; maxErrorRate: number; createdBy: string },
): Promise<BatchRow | undefined> {
  const row = await db
    .insertInto('scan_batch')
    .values({
      fonds_code: batch.fondsCode,
      name: batch.name,
      sample_rate: batch.sampleRate,
      max_error_rate: batch.maxErrorRate,
      created_by: batch.createdBy,
    })
    .onConflict((conflict) => conflict.columns(['fonds_code', 'name']).doNothing())
    .returning(batchColumns)
    .executeTakeFirst();
  return row && toBatch(row);
}

export async function findBatch(db: Db, id: number, lock = false): Promise<BatchRow | undefined> {
  let query = db.selectFrom('scan_batch').select(batchColumns).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toBatch(row);
}

export async function listBatches(db: Db, fondsCodes: readonly string[] | null): Promise<BatchRow[]> {
  let query = db.selectFrom('scan_batch').select(batchColumns);
  if (fondsCodes) {
    if (fondsCodes.length === 0) return [];
    query = query.where('fonds_code', 'in', fondsCodes);
  }
  return (await query.orderBy('id', 'desc').limit(500).execute()).map(toBatch);
}

export async function setBatchStatus(db: Db, id: number, status: BatchStatus): Promise<void> {
  await db.updateTable('scan_batch').set({ status }).where('id', '=', id).execute();
}

/** Pages per batch and how OCR stands on them. */
export async function batchPageCounts(
  db: Db,
  batchIds: readonly number[],
): Promise<Map<number, { pages: number; flagged: number; ocrDone: number }>> {
  if (batchIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('scan_page')
    .select((eb) => [
      'batch_id as batchId',
      eb.fn.countAll<string>().as('pages'),
      sql<string>`count(*) filter (where flags <> '{}')`.as('flagged'),
      sql<string>`count(*) filter (where ocr_status = 'done')`.as('ocrDone'),
    ])
    .where('batch_id', 'in', batchIds)
    .groupBy('batch_id')
    .execute();
  return new Map(
    rows.map((row) => [
      Number(row.batchId),
      { pages: Number(row.pages), flagged: Number(row.flagged), ocrDone: Number(row.ocrDone) },
    ]),
  );
}

// What the four-property check reads of scanning: the pages of an item, the items of a batch.

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

/** How many pages are scanned for each item, by item id (items without pages are left out), in one statement. */
export async function scannedPageCounts(db: Db, itemIds: readonly number[]): Promise<Map<number, number>> {
  if (itemIds.length === 0) return new Map();
  const { rows } = await sql<{ item_id: number; pages: number }>`select item_id, count(*)::int as pages
    from scan_page where item_id = any(${[...itemIds]}::bigint[]) group by item_id`.execute(db);
  return new Map(rows.map((row) => [Number(row.item_id), Number(row.pages)]));
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
