import { type RawBuilder, type SqlBool, sql } from 'kysely';

// What other modules read of scanning (the console's OCR queue counts, the four-property check's
// pages and batches); the SQL is ocr.repo.ts's and scan.repo.ts's, which only scan imports.
export { forgetScannedPages } from './forget.repo.js';
export { ocrQueueCounts } from './ocr.repo.js';
export { batchItemIds, type ScannedPageFacts, scannedPageCounts, scannedPagesOf } from './scan.repo.js';

/** Whether the item `itemId` refers to (an SQL expression) has a scanned page, through scan_page's key. */
export function hasScannedPages(itemId: RawBuilder<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`exists (select 1 from scan_page p where p.item_id = ${itemId})`;
}
