// What other modules read of scanning (the console's OCR queue counts, the four-property check's
// pages and batches); the SQL is ocr.repo.ts's and scan.repo.ts's, which only scan imports.
export { ocrQueueCounts } from './ocr.repo.js';
export { batchItemIds, type ScannedPageFacts, scannedPagesOf } from './scan.repo.js';
