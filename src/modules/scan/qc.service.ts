import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, scopeIn } from '../../shared/access-context.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { fondsExists } from '../catalog/catalog.queries.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { getItem } from '../catalog/item.service.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  batchPages,
  decideRound,
  insertRound,
  listRounds,
  listSamples,
  type RoundRow,
  type SampleRow,
  setVerdict,
} from './qc.repo.js';
import {
  type BatchRow,
  batchPageCounts,
  findBatch,
  insertBatch,
  listBatches,
  setBatchStatus,
} from './scan.repo.js';

// Digitization batches (数字化批次) and their quality control (质检): a round draws a random sample
// of the batch's pages (5% by default), a reviewer marks each right or wrong with a reason, and the
// batch is accepted only when the share wrong is within the limit (0.5% by default); otherwise it is
// returned for rework and sampled again in a new round. Every step is an event on the batch.

export const DEFAULT_SAMPLE_RATE = 0.05;
export const DEFAULT_MAX_ERROR_RATE = 0.005;

export interface BatchView extends BatchRow {
  pages: number;
  ocrDone: number;
  flagged: number;
}

const subject = (batchId: number) => `scan_batch:${batchId}`;

/** A batch belongs to a fonds: a user whose scope names other fonds neither sees nor touches it. */
function fondsInScope(access: AccessContext, fondsCode: string): boolean {
  const scope = scopeIn(access);
  if (!scope) return true;
  return scope.rows.some((row) => row.fondsCode === null || row.fondsCode === fondsCode);
}

/** The batch, if the user's scope reaches its fonds (not found otherwise). */
export async function batchFor(
  db: Db,
  batchId: number,
  access: AccessContext,
  lock = false,
): Promise<BatchRow> {
  const batch = await findBatch(db, batchId, lock);
  if (!batch || !fondsInScope(access, batch.fondsCode))
    throw notFound('SCAN_BATCH_NOT_FOUND', `没有编号为 ${batchId} 的数字化批次`);
  return batch;
}

function checkRate(value: number, field: string, label: string, max: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max))
    throw invalid('QC_RATE_INVALID', `${label}应在 0–${max * 100}% 之间（${field}）`);
}

export async function createBatch(
  db: Db,
  input: { fondsCode: string; name: string; sampleRate?: number; maxErrorRate?: number },
  actor: string,
  access: AccessContext,
): Promise<BatchRow> {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '' || [...name].length > 100)
    throw invalid('SCAN_BATCH_INVALID', '批次名称为必填项，最多100个字符');
  const sampleRate = input.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const maxErrorRate = input.maxErrorRate ?? DEFAULT_MAX_ERROR_RATE;
  checkRate(sampleRate, 'sampleRate', '抽检比例', 1);
  if (sampleRate === 0) throw invalid('QC_RATE_INVALID', '抽检比例不能为 0');
  checkRate(maxErrorRate, 'maxErrorRate', '合格差错率上限', 0.5);
  if (!fondsInScope(access, input.fondsCode))
    throw notFound('FONDS_NOT_FOUND', `全宗“${String(input.fondsCode).slice(0, 20)}”不存在`);
  return inTransaction(db, async (trx) => {
    if (!(await fondsExists(trx, input.fondsCode)))
      throw notFound('FONDS_NOT_FOUND', `全宗“${String(input.fondsCode).slice(0, 20)}”不存在`);
    const batch = await insertBatch(trx, {
      fondsCode: input.fondsCode,
      name,
      sampleRate,
      maxErrorRate,
      createdBy: actor,
    });
    if (!batch) throw conflict('SCAN_BATCH_EXISTS', `全宗 ${input.fondsCode} 已有名为“${name}”的数字化批次`);
    recordEvent(trx, {
      actor,
      action: 'scan_batch.created',
      subject: subject(batch.id),
      payload: { fondsCode: batch.fondsCode, name, sampleRate, maxErrorRate },
    });
    return batch;
  });
}

export async function batchViews(db: Db, access: AccessContext): Promise<BatchView[]> {
  const scope = scopeIn(access);
  const fonds =
    scope && !scope.rows.some((row) => row.fondsCode === null)
      ? scope.rows.map((row) => row.fondsCode as string)
      : null;
  const batches = await listBatches(db, fonds);
  const counts = await batchPageCounts(
    db,
    batches.map((batch) => batch.id),
  );
  return batches.map((batch) => ({ ...batch, pages: 0, ocrDone: 0, flagged: 0, ...counts.get(batch.id) }));
}

export interface QcRound extends RoundRow {
  samples: SampleRow[];
  reviewed: number;
}

export interface QcReport {
  batch: BatchView;
  rounds: QcRound[];
}

export async function qcReport(db: Db, batchId: number, access: AccessContext): Promise<QcReport> {
  const batch = await batchFor(db, batchId, access);
  const rounds = await listRounds(db, batchId);
  const listed = await listSamples(
    db,
    rounds.map((round) => round.id),
  );
  // A reviewer scoped to part of the fonds (a region, some categories) sees only those items' pages.
  const visible = new Set(
    (await findItemsByIds(db, [...new Set(listed.map((sample) => sample.itemId))], scopedQuery(access))).map(
      (item) => item.id,
    ),
  );
  const samples = listed.filter((sample) => visible.has(sample.itemId));
  const counts = (await batchPageCounts(db, [batchId])).get(batchId);
  return {
    batch: { ...batch, pages: 0, ocrDone: 0, flagged: 0, ...counts },
    rounds: rounds.map((round) => {
      const own = samples.filter((sample) => sample.roundId === round.id);
      return { ...round, samples: own, reviewed: own.filter((sample) => sample.verdict !== null).length };
    }),
  };
}

/**
 * ⌈pages × rate⌉, at least one. Rates are stored to five decimals and counted in those units as
 * integers, so 7% of 100 pages is 7 (in floating point 100 × 0.07 is 7.000000000000001).
 */
export function sampleSize(pages: number, rate: number): number {
  const units = Math.round(rate * 100_000);
  return Math.min(pages, Math.max(1, Math.floor((pages * units + 99_999) / 100_000)));
}

/** Draws a new sampling round; the batch then takes no more pages until it is decided. */
export async function drawSample(
  db: Db,
  batchId: number,
  actor: string,
  options: { sampleRate?: number; access: AccessContext },
): Promise<QcReport> {
  await inTransaction(db, async (trx) => {
    const batch = await batchFor(trx, batchId, options.access, true);
    if (batch.status === 'sampled')
      throw conflict('QC_ROUND_OPEN', `批次“${batch.name}”已抽样，正在质检，请先判定本轮结果`);
    if (batch.status === 'accepted') throw conflict('QC_BATCH_ACCEPTED', `批次“${batch.name}”已验收合格`);
    const sampleRate = options.sampleRate ?? batch.sampleRate;
    checkRate(sampleRate, 'sampleRate', '抽检比例', 1);
    const pages = await batchPages(trx, batchId);
    if (pages === 0) throw invalid('QC_BATCH_EMPTY', `批次“${batch.name}”还没有扫描页面，无从抽检`);
    const sampled = sampleSize(pages, sampleRate);
    const round = (await listRounds(trx, batchId)).length + 1;
    await insertRound(trx, {
      batchId,
      round,
      sampleRate,
      maxErrorRate: batch.maxErrorRate,
      pages,
      sampled,
      drawnBy: actor,
    });
    await setBatchStatus(trx, batchId, 'sampled');
    recordEvent(trx, {
      actor,
      action: 'scan_batch.sampled',
      subject: subject(batchId),
      payload: { round, pages, sampled, sampleRate },
    });
  });
  return qcReport(db, batchId, options.access);
}

export async function reviewPage(
  db: Db,
  batchId: number,
  target: { archiveCode: string; page: number },
  verdict: { verdict: 'right' | 'wrong'; reason?: string },
  actor: string,
  access: AccessContext,
): Promise<void> {
  if (verdict.verdict !== 'right' && verdict.verdict !== 'wrong')
    throw invalid('QC_VERDICT_INVALID', '质检结论应为 right（合格）或 wrong（不合格）');
  const reason = verdict.reason?.trim() || null;
  if (verdict.verdict === 'wrong' && (reason === null || [...reason].length < 2))
    throw invalid('QC_REASON_REQUIRED', '判为不合格时须写明原因（如：字迹模糊、缺页、倾斜、档号错误）');
  if (reason !== null && [...reason].length > 500) throw invalid('QC_REASON_INVALID', '原因最多500个字符');
  refuseIdNumberInText('质检原因', reason);
  await inTransaction(db, async (trx) => {
    const batch = await batchFor(trx, batchId, access, true);
    if (batch.status !== 'sampled')
      throw conflict('QC_NO_OPEN_ROUND', `批次“${batch.name}”没有进行中的质检轮次`);
    const round = (await listRounds(trx, batchId)).at(-1) as RoundRow;
    const item = await getItem(trx, target.archiveCode, access);
    const updated = await setVerdict(
      trx,
      { roundId: round.id, itemId: item.id, page: target.page },
      {
        verdict: verdict.verdict,
        reason,
        reviewer: actor,
      },
    );
    if (!updated)
      throw notFound(
        'QC_PAGE_NOT_SAMPLED',
        `第${target.page}页（${target.archiveCode.slice(0, 60)}）不在本轮抽检样本中`,
      );
    recordEvent(trx, {
      actor,
      action: 'scan_batch.page_reviewed',
      subject: subject(batchId),
      payload: {
        round: round.round,
        archiveCode: item.archiveCode,
        page: target.page,
        verdict: verdict.verdict,
        reason,
      },
    });
  });
}

/** Decides the open round: accepted when wrong / sampled is within the limit, else returned. */
export async function decideBatch(
  db: Db,
  batchId: number,
  actor: string,
  access: AccessContext,
): Promise<QcReport> {
  await inTransaction(db, async (trx) => {
    const batch = await batchFor(trx, batchId, access, true);
    if (batch.status !== 'sampled')
      throw conflict('QC_NO_OPEN_ROUND', `批次“${batch.name}”没有进行中的质检轮次`);
    const round = (await listRounds(trx, batchId)).at(-1) as RoundRow;
    const samples = await listSamples(trx, [round.id]);
    const pending = samples.filter((sample) => sample.verdict === null);
    if (pending.length > 0)
      throw conflict(
        'QC_REVIEW_INCOMPLETE',
        `本轮还有 ${pending.length} 页未质检（如 ${pending
          .slice(0, 3)
          .map((sample) => sample.imageName)
          .join('、')}），不能判定`,
      );
    const wrong = samples.filter((sample) => sample.verdict === 'wrong').length;
    const errorRate = wrong / samples.length;
    // In integers (the limit is stored to five decimals), so 1 wrong in 200 is exactly 0.5%.
    const decision =
      wrong * 1e5 <= Math.round(round.maxErrorRate * 1e5) * samples.length ? 'accepted' : 'returned';
    await decideRound(trx, round.id, { wrong, decision, decidedBy: actor });
    await setBatchStatus(trx, batchId, decision);
    recordEvent(trx, {
      actor,
      action: decision === 'accepted' ? 'scan_batch.accepted' : 'scan_batch.returned',
      subject: subject(batchId),
      payload: {
        round: round.round,
        sampled: samples.length,
        wrong,
        errorRate,
        maxErrorRate: round.maxErrorRate,
      },
    });
  });
  return qcReport(db, batchId, access);
}
