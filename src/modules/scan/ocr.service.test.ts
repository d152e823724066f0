import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { systemContext } from '../../shared/access-context.js';
import { renderScanPage, renderScanTiff } from '../demo/scan-pages.js';
import { claimJob, failJob, finishJob, lockClaim } from '../jobs/job.repo.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import { catchUpIndex } from '../search/indexer.js';
import { search } from '../search/search.service.js';
import { OCR_PAGE } from './ocr.jobs.js';
import { startPage } from './ocr.repo.js';
import { drainOcrQueue, MAX_OCR_ATTEMPTS, type OcrContext, ocrProgress, retryOcr } from './ocr.service.js';
import { addScan, scanPages } from './scan.service.js';

// OCR as jobs of the job runtime with the real Tesseract: text without the spaces Tesseract puts
// between Chinese characters, confidence stored, blank pages flagged, the text found by search; a
// page abandoned by a dead worker read again; failures retried, then failed, then queued again.

/** A worker that claims the next page's job and, for this test, never comes back. */
async function abandon(worker: string, leaseSeconds: number) {
  const job = await claimJob(system.database.db, [OCR_PAGE], worker, leaseSeconds, new Date());
  if (!job) throw new Error('no OCR job to claim');
  const { itemId, page } = job.payload as { itemId: number; page: number };
  await startPage(system.database.db, itemId, page, worker, job.attempts);
  return { id: job.id, worker, attempts: job.attempts, page };
}

let system: TestSystem;
const everything = systemContext('fixture', '档案员张');
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
  await addScan(
    { ...context(), access: everything },
    code,
    { stream: Readable.from([tiff]), fileName: 'scan.tif' },
    '档案员张',
  );
  const blank = await renderScanPage({ lines: [] });
  await addScan(
    { ...context(), access: everything },
    code,
    { stream: Readable.from([blank]), fileName: 'blank.png' },
    '档案员张',
  );
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
    const pages = await scanPages(system.database.db, code, everything);
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
    const found = await search(system.database.db, { q: '"高血压病"' }, { access: everything });
    expect(found.hits.map((hit) => hit.item.archiveCode)).toEqual([code]);
  });

  it('flags a page recognised below the confidence threshold', async () => {
    expect(await retryOcr(system.database.db, { archiveCode: code }, everything)).toBe(3);
    await drainOcrQueue(context({ minConfidence: 100 }));
    const pages = await scanPages(system.database.db, code, everything);
    expect(pages.map((page) => page.flags)).toEqual([['low_confidence'], ['low_confidence'], ['no_text']]);
    expect((await ocrProgress(system.database.db)).lowConfidence).toBe(2);
  });

  it('reads again a page whose worker died holding it', async () => {
    await retryOcr(system.database.db, { archiveCode: code }, everything);
    // A worker claims page 1 with a lease that has already run out, and is never heard from again.
    const abandoned = await abandon('another-host:1', 0);
    expect(abandoned).toMatchObject({ page: 1, attempts: 1 });
    expect((await ocrProgress(system.database.db)).byStatus.running).toBe(1);
    const totals = await drainOcrQueue(context());
    expect(totals.done).toBe(3);
    const [first] = await scanPages(system.database.db, code, everything);
    expect(first).toMatchObject({ ocrStatus: 'done', ocrAttempts: 2 });
  });

  it('at once gives back the pages of a worker on this host that is gone, whatever its lease says', async () => {
    await retryOcr(system.database.db, { archiveCode: code }, everything);
    const gone = spawnSync('true').pid as number;
    const held = await abandon(`${os.hostname()}:${gone}`, 3600);
    const elsewhere = await abandon(`another-host:${gone}`, 3600);
    expect([held.page, elsewhere.page]).toEqual([1, 2]);
    expect(await new JobRuntime(system.database.db).releaseDeadWorkers()).toBe(1);
    const totals = await drainOcrQueue(context());
    // Page 2 stays leased to the other host's worker until its lease runs out.
    expect(totals.done).toBe(2);
    const pages = await scanPages(system.database.db, code, everything);
    expect(pages.map((page) => page.ocrStatus)).toEqual(['done', 'running', 'done']);
    await sql`update job set lease_until = now() - interval '1 second', run_at = now() - interval '1 second' where id = ${elsewhere.id}`.execute(
      system.database.db,
    );
    expect((await drainOcrQueue(context())).done).toBe(1);
  });

  it('ignores a late write by an attempt whose lease ran out and was taken over', async () => {
    await retryOcr(system.database.db, { archiveCode: code }, everything);
    const late = await abandon('host-a:1', 0);
    // A lapsed job waits behind those due before it: the others are held back so host-b takes page 1.
    const hold = (until: string) =>
      sql`update job set run_at = now() + ${until}::interval where kind = ${OCR_PAGE} and state = 'queued'`.execute(
        system.database.db,
      );
    await hold('1 hour');
    const current = await abandon('host-b:2', 600);
    await hold('-1 second');
    expect([late.page, current.page, current.attempts]).toEqual([1, 1, 2]);
    const db = system.database.db;
    expect(await db.transaction().execute((trx) => lockClaim(trx, late))).toBe(false);
    expect(await finishJob(db, late, new Date())).toBe(false);
    expect(await failJob(db, late, '超时', new Date(), new Date())).toBe(false);
    const [page] = await scanPages(db, code, everything);
    expect(page).toMatchObject({ ocrStatus: 'running', ocrAttempts: 2, ocrError: null });
    expect(await db.transaction().execute((trx) => lockClaim(trx, current))).toBe(true);
    await sql`update job set lease_until = now() - interval '1 second', run_at = now() - interval '1 second' where id = ${current.id}`.execute(
      db,
    );
    await drainOcrQueue(context());
    expect((await ocrProgress(db)).byStatus).toMatchObject({ done: 3, running: 0 });
  });

  it('retries a failing page with a growing wait, then fails it, and queues it again on request', async () => {
    await retryOcr(system.database.db, { archiveCode: code }, everything);
    const broken = context({ command: '/nonexistent/tesseract' });
    for (let attempt = 1; attempt <= MAX_OCR_ATTEMPTS; attempt++) {
      const totals = await drainOcrQueue(broken);
      expect(totals).toEqual(
        attempt < MAX_OCR_ATTEMPTS ? { done: 0, retry: 3, failed: 0 } : { done: 0, retry: 0, failed: 3 },
      );
      const waits = await sql<{ seconds: number }>`
        select round(extract(epoch from run_at - now()))::int as seconds from job
        where kind = ${OCR_PAGE} and state = 'retry' order by id`.execute(system.database.db);
      if (attempt < MAX_OCR_ATTEMPTS) {
        // 30 s after the first failure, 60 s after the second; nothing is ready before then.
        expect(waits.rows[0]?.seconds).toBeGreaterThan(30 * 2 ** (attempt - 1) - 5);
        expect(await drainOcrQueue(broken)).toEqual({ done: 0, retry: 0, failed: 0 });
        await sql`update job set run_at = now() - interval '1 second' where state = 'retry'`.execute(
          system.database.db,
        );
      }
    }
    const pages = await scanPages(system.database.db, code, everything);
    expect(pages.every((page) => page.ocrStatus === 'failed' && page.ocrError?.includes('ENOENT'))).toBe(
      true,
    );
    expect((await ocrProgress(system.database.db)).byStatus.failed).toBe(3);
    expect(await retryOcr(system.database.db, {}, everything)).toBe(3);
    expect((await drainOcrQueue(context())).done).toBe(3);
  });
});
