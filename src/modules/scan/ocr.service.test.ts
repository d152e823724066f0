import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { renderScanPage, renderScanTiff } from '../demo/scan-pages.js';
import { catchUpIndex } from '../search/indexer.js';
import { search } from '../search/search.service.js';
import { type ClaimedPage, claimPage, failPage, finishPage } from './ocr.repo.js';
import {
  drainOcrQueue,
  MAX_OCR_ATTEMPTS,
  type OcrContext,
  ocrProgress,
  releaseDeadWorkers,
  retryOcr,
} from './ocr.service.js';
import { addScan, scanPages } from './scan.service.js';

// OCR through the database queue with the real Tesseract: text without the spaces Tesseract puts
// between Chinese characters, confidence stored, blank pages flagged, the text found by search; a
// page abandoned by a dead worker read again; failures retried, then failed, then queued again.

let system: TestSystem;
let code: string;
const settings = { command: 'tesseract', languages: 'chi_sim+eng', concurrency: 1, minConfidence: 70 };
const context = (overrides: Partial<OcrContext['settings']> = {}): OcrContext => ({
  db: system.database.db,
  store: system.store,
  settings: { ...settings, ...overrides },
});
const PAGE_ONE = [
  '门诊费用报销审核表',
  '参保人姓名：欧阳明珠',
  '医疗机构：南京市鼓楼医院',
  '报销金额：1234.56 元',
];
const PAGE_TWO = ['慢性病门诊待遇认定表', '病种：高血压病三级', '认定日期：2024年3月15日'];

const pageTexts = async () =>
  (
    await system.database.db
      .selectFrom('item_page_text')
      .select(['page', 'text', 'confidence'])
      .orderBy('page')
      .execute()
  ).map((row) => ({ ...row, text: row.text }));

beforeAll(async () => {
  system = await openTestSystem();
  code = await fileOneItem(system);
  const tiff = await renderScanTiff([{ lines: PAGE_ONE }, { lines: PAGE_TWO }]);
  await addScan(context(), code, { stream: Readable.from([tiff]), fileName: 'scan.tif' }, '档案员张');
  const blank = await renderScanPage({ lines: [] });
  await addScan(context(), code, { stream: Readable.from([blank]), fileName: 'blank.png' }, '档案员张');
});
afterAll(() => system?.dispose());

describe('the OCR queue', () => {
  it('reads every page, stores text without spaces between Chinese characters, and flags the blank one', async () => {
    expect((await ocrProgress(system.database.db)).byStatus).toMatchObject({ queued: 3, done: 0 });
    const totals = await drainOcrQueue(context(), { concurrency: 2 });
    expect(totals).toEqual({ done: 3, retry: 0, failed: 0 });
    const texts = await pageTexts();
    expect(texts.map((row) => row.page)).toEqual([1, 2, 3]);
    const first = texts[0]?.text ?? '';
    expect(first).toContain('门诊费用报销审核表');
    expect(first).toContain('欧阳明珠');
    expect(first).not.toMatch(/[\u4e00-\u9fff] +[\u4e00-\u9fff]/);
    expect(texts[1]?.text).toContain('高血压');
    expect(texts[0]?.confidence).toBeGreaterThan(70);
    const pages = await scanPages(system.database.db, code);
    expect(pages.map((page) => [page.ocrStatus, page.flags])).toEqual([
      ['done', []],
      ['done', []],
      ['done', ['no_text']],
    ]);
    const progress = await ocrProgress(system.database.db);
    expect(progress).toMatchObject({ pages: 3, finished: 1, noText: 1, lowConfidence: 0 });
    expect(progress.byStatus).toEqual({ queued: 0, running: 0, done: 3, failed: 0 });
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'item.text_recorded')
      .execute();
    expect(events.map((event) => JSON.parse(String(event.payload)).source)).toEqual(['ocr', 'ocr', 'ocr']);
  });

  it('feeds the text to search', async () => {
    await catchUpIndex(system.database.db);
    const found = await search(system.database.db, { q: '"高血压病"' });
    expect(found.hits.map((hit) => hit.item.archiveCode)).toEqual([code]);
  });

  it('flags a page recognised below the confidence threshold', async () => {
    expect(await retryOcr(system.database.db, { archiveCode: code })).toBe(3);
    await drainOcrQueue(context({ minConfidence: 100 }));
    const pages = await scanPages(system.database.db, code);
    expect(pages.map((page) => page.flags)).toEqual([['low_confidence'], ['low_confidence'], ['no_text']]);
    expect((await ocrProgress(system.database.db)).lowConfidence).toBe(2);
  });

  it('reads again a page whose worker died holding it', async () => {
    await retryOcr(system.database.db, { archiveCode: code });
    // A worker claims page 1 with a lease that has already run out, and is never heard from again.
    const abandoned = await claimPage(system.database.db, 0, `${os.hostname()}:${process.pid}`);
    expect(abandoned).toMatchObject({ page: 1, attempts: 1 });
    expect((await ocrProgress(system.database.db)).byStatus.running).toBe(1);
    const totals = await drainOcrQueue(context());
    expect(totals.done).toBe(3);
    const [first] = await scanPages(system.database.db, code);
    expect(first).toMatchObject({ ocrStatus: 'done', ocrAttempts: 2 });
  });

  it('at once gives back the pages of a worker on this host that is gone, whatever its lease says', async () => {
    await retryOcr(system.database.db, { archiveCode: code });
    const gone = spawnSync('true').pid as number;
    const held = await claimPage(system.database.db, 3600, `${os.hostname()}:${gone}`);
    const elsewhere = await claimPage(system.database.db, 3600, `another-host:${gone}`);
    expect([held?.page, elsewhere?.page]).toEqual([1, 2]);
    expect(await releaseDeadWorkers(system.database.db)).toBe(1);
    const totals = await drainOcrQueue(context());
    // Page 2 stays leased to the other host's worker until its lease runs out.
    expect(totals.done).toBe(2);
    const pages = await scanPages(system.database.db, code);
    expect(pages.map((page) => page.ocrStatus)).toEqual(['done', 'running', 'done']);
    await sql`update scan_page set ocr_lease_until = now() where page = 2`.execute(system.database.db);
    expect((await drainOcrQueue(context())).done).toBe(1);
  });

  it('ignores a late write by an attempt whose lease ran out and was taken over', async () => {
    await retryOcr(system.database.db, { archiveCode: code });
    const late = await claimPage(system.database.db, 0, 'host-a:1');
    const current = await claimPage(system.database.db, 600, 'host-b:2');
    expect([late?.page, current?.page, current?.attempts]).toEqual([1, 1, 2]);
    const result = { confidence: 88, characters: 10, seconds: 1, flags: [] };
    expect(await finishPage(system.database.db, late as ClaimedPage, result)).toBe(false);
    expect(await failPage(system.database.db, late as ClaimedPage, '超时', 30)).toBe(false);
    const [page] = await scanPages(system.database.db, code);
    expect(page).toMatchObject({ ocrStatus: 'running', ocrAttempts: 2, ocrError: null });
    expect(await finishPage(system.database.db, current as ClaimedPage, result)).toBe(true);
    await drainOcrQueue(context());
    expect((await ocrProgress(system.database.db)).byStatus).toMatchObject({ done: 3, running: 0 });
  });

  it('retries a failing page with a growing wait, then fails it, and queues it again on request', async () => {
    await retryOcr(system.database.db, { archiveCode: code });
    const broken = context({ command: '/nonexistent/tesseract' });
    for (let attempt = 1; attempt <= MAX_OCR_ATTEMPTS; attempt++) {
      const totals = await drainOcrQueue(broken);
      expect(totals).toEqual(
        attempt < MAX_OCR_ATTEMPTS ? { done: 0, retry: 3, failed: 0 } : { done: 0, retry: 0, failed: 3 },
      );
      const waits = await sql<{ seconds: number }>`
        select round(extract(epoch from ocr_available_at - now()))::int as seconds from scan_page order by page`.execute(
        system.database.db,
      );
      if (attempt < MAX_OCR_ATTEMPTS) {
        // 30 s after the first failure, 60 s after the second; nothing is ready before then.
        expect(waits.rows[0]?.seconds).toBeGreaterThan(30 * 2 ** (attempt - 1) - 5);
        expect(await drainOcrQueue(broken)).toEqual({ done: 0, retry: 0, failed: 0 });
        await sql`update scan_page set ocr_available_at = now()`.execute(system.database.db);
      }
    }
    const pages = await scanPages(system.database.db, code);
    expect(pages.every((page) => page.ocrStatus === 'failed' && page.ocrError?.includes('ENOENT'))).toBe(
      true,
    );
    expect((await ocrProgress(system.database.db)).byStatus.failed).toBe(3);
    expect(await retryOcr(system.database.db, {})).toBe(3);
    expect((await drainOcrQueue(context())).done).toBe(3);
  });
});
