import type { Db } from '../../db/database.js';
import { enqueueJob, isJobWaiting } from '../jobs/job.runtime.js';

// Each scanned page's OCR is one job of the job runtime (kind ocr.page), queued in the transaction
// that stores the page, or that queues it again. The page row keeps what people see (status, text,
// confidence, flags); the job keeps the attempts, the lease and the wait before a retry.

export const OCR_PAGE = 'ocr.page';
export const MAX_OCR_ATTEMPTS = 3;

export interface OcrPageJob {
  itemId: number;
  page: number;
}

export async function enqueueOcrPages(trx: Db, pages: readonly OcrPageJob[]): Promise<void> {
  for (const { itemId, page } of pages)
    await enqueueJob(trx, {
      kind: OCR_PAGE,
      payload: { itemId, page } satisfies OcrPageJob,
      key: `${itemId}:${page}`,
      maxAttempts: MAX_OCR_ATTEMPTS,
    });
}

/** Whether another page of this item waits for OCR (its decrypted scan is worth keeping). */
export function moreOcrOfItem(db: Db, itemId: number): Promise<boolean> {
  return isJobWaiting(db, OCR_PAGE, { itemId });
}
