import type { Db } from '../../db/database.js';

// What the search module holds of an item that is destroyed: its search document and its pages'
// recognised text (OCR). Both go in the destruction's own transaction.

export async function forgetItemText(trx: Db, itemId: number): Promise<{ docs: number; pages: number }> {
  const docs = await trx.deleteFrom('search_doc').where('item_id', '=', itemId).executeTakeFirst();
  const pages = await trx.deleteFrom('item_page_text').where('item_id', '=', itemId).executeTakeFirst();
  return { docs: Number(docs.numDeletedRows), pages: Number(pages.numDeletedRows) };
}
