import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { itemForChange } from '../catalog/item.service.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvent } from '../integrity/event-log.js';
import { insertPageTexts } from './index.repo.js';

// The text of scanned pages (OCR output, or text typed in for a page), one row per page so a long
// document never meets the limits of a single tsvector. Recording it is an event like any change to
// an archive, and that event is what brings the item back to the indexer.

export const MAX_PAGE_TEXT = 200_000;

export interface PageText {
  page: number;
  text: string;
  /** Recognition confidence, 0–100, when the text came from OCR. */
  confidence?: number | null;
}

export async function recordPageTexts(
  db: Db,
  archiveCode: string,
  pages: readonly PageText[],
  actor: string,
  access: AccessContext,
): Promise<void> {
  if (pages.length === 0) throw invalid('PAGE_TEXT_EMPTY', '没有要录入的页面文字');
  const seen = new Set<number>();
  for (const page of pages) {
    if (!Number.isInteger(page.page) || page.page < 1 || page.page > 100_000)
      throw invalid('PAGE_TEXT_INVALID', `页码应为 1–100000 的整数：${String(page.page).slice(0, 20)}`);
    if (seen.has(page.page)) throw invalid('PAGE_TEXT_INVALID', `第${page.page}页重复`);
    seen.add(page.page);
    if (typeof page.text !== 'string' || page.text.length > MAX_PAGE_TEXT)
      throw invalid('PAGE_TEXT_INVALID', `第${page.page}页文字应为不超过 ${MAX_PAGE_TEXT} 个字符的文本`);
    const confidence = page.confidence ?? null;
    if (confidence !== null && !(confidence >= 0 && confidence <= 100))
      throw invalid('PAGE_TEXT_INVALID', `第${page.page}页识别置信度应在 0–100 之间`);
  }
  await inTransaction(db, async (trx) => {
    const item = await itemForChange(trx, archiveCode, access);
    await writePageTexts(trx, access, item, pages, actor);
  });
}

/** Stores page texts and their event inside the caller's transaction (the OCR worker's, say). */
export async function writePageTexts(
  trx: Db,
  // Who writes (the typed entry's caller, the OCR job): the item was found through it.
  _access: AccessContext,
  item: { id: number; archiveCode: string },
  pages: readonly PageText[],
  actor: string,
  source: 'typed' | 'ocr' = 'typed',
): Promise<void> {
  // A destroyed item (an OCR page read before its destruction committed) takes no text and no event.
  const written = await insertPageTexts(
    trx,
    item.id,
    // NUL cannot be stored in a PostgreSQL text column; OCR output sometimes carries one.
    pages.map((page) => ({
      page: page.page,
      text: page.text.replace(/\0/g, ''),
      confidence: page.confidence ?? null,
    })),
  );
  if (!written) return;
  recordEvent(trx, {
    actor,
    action: 'item.text_recorded',
    subject: itemSubject(item.archiveCode),
    payload: {
      pages: pages.map((page) => page.page).sort((a, b) => a - b),
      characters: pages.reduce((sum, page) => sum + page.text.length, 0),
      ...(source === 'ocr' ? { source } : {}),
    },
  });
}
