// What other modules read of scanning (the console's OCR queue counts); the SQL is ocr.repo.ts's.
export { ocrQueueCounts } from './ocr.repo.js';
