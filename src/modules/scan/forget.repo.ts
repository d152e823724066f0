import type { Db } from '../../db/database.js';

// What the scan module holds of an item that is destroyed: its scanned pages' rows (image name,
// size, OCR state; the images themselves are the item's files, shredded by storage) and their QC
// samples. No thumbnail is ever stored (pages are decoded on the fly), so nothing else is left.

export async function forgetScannedPages(trx: Db, itemId: number): Promise<number> {
  await trx.deleteFrom('qc_sample').where('item_id', '=', itemId).execute();
  const pages = await trx.deleteFrom('scan_page').where('item_id', '=', itemId).executeTakeFirst();
  return Number(pages.numDeletedRows);
}
