import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, scopedAccess } from '../../../test/helpers/fixture-access.js';
import { FONDS } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { renderScanTiff } from '../demo/scan-pages.js';
import {
  batchViews,
  createBatch,
  decideBatch,
  drawSample,
  qcReport,
  reviewPage,
  sampleSize,
} from './qc.service.js';
import { addScan } from './scan.service.js';

// Quality control of a digitization batch: a 5% random sample, a verdict per sampled page (a wrong
// one with its reason), accepted only within 0.5% wrong, otherwise returned for rework and sampled
// again; every step an event on the batch, and a batch outside the user's fonds not found.

let system: TestSystem;
let code: string;
const db = () => system.database.db;
const smallPages = (count: number) =>
  renderScanTiff(
    Array.from({ length: count }, (_, index) => ({ lines: [`第${index + 1}页`], widthMm: 40, heightMm: 30 })),
  );
const scan = async (batchId: number, pages: number) =>
  addScan(
    { access: SYSTEM, db: db(), store: system.store },
    code,
    { stream: Readable.from([await smallPages(pages)]), fileName: 'batch.tif' },
    '扫描员李',
    { batchId },
  );
const batchEvents = async (batchId: number) =>
  (
    await db()
      .selectFrom('integrity_event')
      .select('action')
      .where('subject', '=', `scan_batch:${batchId}`)
      .orderBy('seq')
      .execute()
  ).map((event) => event.action);

beforeAll(async () => {
  system = await openTestSystem();
  code = await fileOneItem(system);
});
afterAll(() => system?.dispose());

describe('sampleSize', () => {
  it('is the rounded-up share, at least one page, counted without floating-point slips', () => {
    expect(sampleSize(100, 0.07)).toBe(7);
    expect(sampleSize(40, 0.05)).toBe(2);
    expect(sampleSize(41, 0.05)).toBe(3);
    expect(sampleSize(3, 0.05)).toBe(1);
    expect(sampleSize(1000, 0.05)).toBe(50);
    expect(sampleSize(10, 1)).toBe(10);
  });
});

describe('digitization batches', () => {
  it('are created with the default 5% sample and 0.5% limit, once per name in a fonds', async () => {
    const batch = await createBatch(
      db(),
      { fondsCode: FONDS.code, name: '2024年第一批' },
      '档案员张',
      SYSTEM,
    );
    expect(batch).toMatchObject({ status: 'scanning', sampleRate: 0.05, maxErrorRate: 0.005 });
    await expect(
      createBatch(db(), { fondsCode: FONDS.code, name: ' 2024年第一批 ' }, '档案员张', SYSTEM),
    ).rejects.toMatchObject({ code: 'SCAN_BATCH_EXISTS' });
    await expect(
      createBatch(db(), { fondsCode: FONDS.code, name: 'x', sampleRate: 1.5 }, '档案员张', SYSTEM),
    ).rejects.toMatchObject({ code: 'QC_RATE_INVALID' });
    await expect(
      createBatch(db(), { fondsCode: 'ZZZZ', name: 'x' }, '档案员张', SYSTEM),
    ).rejects.toMatchObject({
      code: 'FONDS_NOT_FOUND',
    });
  });
});

describe('a QC round', () => {
  it('samples 5%, refuses new pages meanwhile, and returns the batch when a sampled page is wrong', async () => {
    const batch = await createBatch(db(), { fondsCode: FONDS.code, name: '返工批次' }, '档案员张', SYSTEM);
    await scan(batch.id, 40);
    await expect(drawSample(db(), 99_999, '质检员王', { access: SYSTEM })).rejects.toMatchObject({
      code: 'SCAN_BATCH_NOT_FOUND',
    });
    const report = await drawSample(db(), batch.id, '质检员王', { access: SYSTEM });
    expect(report.batch).toMatchObject({ status: 'sampled', pages: 40 });
    const round = report.rounds[0];
    expect(round).toMatchObject({ round: 1, pages: 40, sampled: 2, reviewed: 0 });
    expect(new Set(round?.samples.map((sample) => sample.page)).size).toBe(2);
    await expect(scan(batch.id, 1)).rejects.toMatchObject({ code: 'SCAN_BATCH_CLOSED' });
    await expect(drawSample(db(), batch.id, '质检员王', { access: SYSTEM })).rejects.toMatchObject({
      code: 'QC_ROUND_OPEN',
    });
    await expect(decideBatch(db(), batch.id, '质检员王', SYSTEM)).rejects.toMatchObject({
      code: 'QC_REVIEW_INCOMPLETE',
    });

    const [first, second] = round?.samples ?? [];
    const unsampled = [...Array(40).keys()]
      .map((n) => n + 1)
      .find((page) => !round?.samples.some((s) => s.page === page));
    await expect(
      reviewPage(
        db(),
        batch.id,
        { archiveCode: code, page: unsampled as number },
        { verdict: 'right' },
        '质检员王',
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'QC_PAGE_NOT_SAMPLED' });
    await expect(
      reviewPage(
        db(),
        batch.id,
        { archiveCode: code, page: first?.page as number },
        { verdict: 'wrong' },
        '质检员王',
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'QC_REASON_REQUIRED' });
    await reviewPage(
      db(),
      batch.id,
      { archiveCode: code, page: first?.page as number },
      { verdict: 'wrong', reason: '字迹模糊' },
      '质检员王',
      SYSTEM,
    );
    await reviewPage(
      db(),
      batch.id,
      { archiveCode: code, page: second?.page as number },
      { verdict: 'right' },
      '质检员王',
      SYSTEM,
    );
    const decided = await decideBatch(db(), batch.id, '质检员王', SYSTEM);
    expect(decided.batch.status).toBe('returned');
    expect(decided.rounds[0]).toMatchObject({
      wrong: 1,
      decision: 'returned',
      decidedBy: '质检员王',
      reviewed: 2,
    });
    expect(decided.rounds[0]?.samples.find((sample) => sample.verdict === 'wrong')).toMatchObject({
      reason: '字迹模糊',
      reviewer: '质检员王',
      imageName: `${code}-${String(first?.page).padStart(4, '0')}`,
    });

    // Rework: pages may be added again, and a second round that finds nothing wrong accepts the batch.
    await scan(batch.id, 1);
    const again = await drawSample(db(), batch.id, '质检员王', { access: SYSTEM });
    const secondRound = again.rounds[1];
    expect(secondRound).toMatchObject({ round: 2, pages: 41, sampled: 3 });
    for (const sample of secondRound?.samples ?? [])
      await reviewPage(
        db(),
        batch.id,
        { archiveCode: code, page: sample.page },
        { verdict: 'right' },
        '质检员赵',
        SYSTEM,
      );
    expect((await decideBatch(db(), batch.id, '质检员赵', SYSTEM)).batch.status).toBe('accepted');
    await expect(scan(batch.id, 1)).rejects.toMatchObject({ code: 'SCAN_BATCH_CLOSED' });
    expect(await batchEvents(batch.id)).toEqual([
      'scan_batch.created',
      'scan_batch.sampled',
      'scan_batch.page_reviewed',
      'scan_batch.page_reviewed',
      'scan_batch.returned',
      'scan_batch.sampled',
      'scan_batch.page_reviewed',
      'scan_batch.page_reviewed',
      'scan_batch.page_reviewed',
      'scan_batch.accepted',
    ]);
    expect((await qcReport(db(), batch.id, SYSTEM)).rounds.map((r) => r.decision)).toEqual([
      'returned',
      'accepted',
    ]);
  });

  it('accepts an error rate exactly at the limit and returns one just past it', async () => {
    const batch = await createBatch(
      db(),
      { fondsCode: FONDS.code, name: '边界批次', sampleRate: 1, maxErrorRate: 0.2 },
      '档案员张',
      SYSTEM,
    );
    await scan(batch.id, 4);
    const verdicts = async (wrongPages: number) => {
      const { rounds } = await drawSample(db(), batch.id, '质检员王', { access: SYSTEM });
      const samples = rounds.at(-1)?.samples ?? [];
      expect(samples).toHaveLength(rounds.length === 1 ? 4 : 5);
      for (const [index, sample] of samples.entries())
        await reviewPage(
          db(),
          batch.id,
          { archiveCode: code, page: sample.page },
          index < wrongPages ? { verdict: 'wrong', reason: '缺页漏扫' } : { verdict: 'right' },
          '质检员王',
          SYSTEM,
        );
      return (await decideBatch(db(), batch.id, '质检员王', SYSTEM)).batch.status;
    };
    // 1 of 4 is 25%, past the 20% limit; 1 of 5 is exactly 20%.
    expect(await verdicts(1)).toBe('returned');
    await scan(batch.id, 1);
    expect(await verdicts(1)).toBe('accepted');
  });

  it('hides a batch of another fonds from a user scoped elsewhere', async () => {
    const batch = (await batchViews(db(), SYSTEM)).find((view) => view.name === '返工批次');
    expect(batch).toMatchObject({ pages: 41, status: 'accepted' });
    const elsewhere = scopedAccess({
      rows: [{ fondsCode: 'X001', regionPrefix: null, categoryIds: null }],
      idNumber: null,
    });
    expect(await batchViews(db(), elsewhere)).toEqual([]);
    await expect(qcReport(db(), batch?.id as number, elsewhere)).rejects.toMatchObject({
      code: 'SCAN_BATCH_NOT_FOUND',
    });
  });
});
