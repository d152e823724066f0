import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { archiveCodeOf } from '../catalog/item.queries.js';

// The only SQL of quality control (质检): sampling rounds of a digitization batch and the verdicts.

export interface RoundRow {
  id: number;
  batchId: number;
  round: number;
  sampleRate: number;
  maxErrorRate: number;
  pages: number;
  sampled: number;
  drawnBy: string;
  drawnAt: Date;
  wrong: number | null;
  decision: 'accepted' | 'returned' | null;
  decidedBy: string | null;
  decidedAt: Date | null;
}

const roundColumns = [
  'id',
  'batch_id as batchId',
  'round',
  'sample_rate as sampleRate',
  'max_error_rate as maxErrorRate',
  'pages',
  'sampled',
  'drawn_by as drawnBy',
  'drawn_at as drawnAt',
  'wrong',
  'decision',
  'decided_by as decidedBy',
  'decided_at as decidedAt',
] as const;

const toRound = (row: Record<string, unknown>): RoundRow => ({
  ...(row as unknown as RoundRow),
  id: Number(row.id),
  batchId: Number(row.batchId),
  sampleRate: Number(row.sampleRate),
  maxErrorRate: Number(row.maxErrorRate),
});

export async function batchPages(db: Db, batchId: number): Promise<number> {
  const row = await db
    .selectFrom('scan_page')
    .select((eb) => eb.fn.countAll<string>().as('pages'))
    .where('batch_id', '=', batchId)
    .executeTakeFirstOrThrow();
  return Number(row.pages);
}

/** Draws the round's sample at random from the batch's pages, in the same statement as it stores it. */
export async function insertRound(
  db: Db,
  round: Omit<RoundRow, 'id' | 'drawnAt' | 'wrong' | 'decision' | 'decidedBy' | 'decidedAt'>,
): Promise<RoundRow> {
  const row = await db
    .insertInto('qc_round')
    .values({
      batch_id: round.batchId,
      round: round.round,
      sample_rate: round.sampleRate,
      max_error_rate: round.maxErrorRate,
      pages: round.pages,
      sampled: round.sampled,
      drawn_by: round.drawnBy,
    })
    .returning(roundColumns)
    .executeTakeFirstOrThrow();
  const stored = toRound(row);
  await sql`
    insert into qc_sample (round_id, item_id, page)
    select ${stored.id}, item_id, page from scan_page where batch_id = ${round.batchId}
    order by random() limit ${round.sampled}`.execute(db);
  return stored;
}

export async function listRounds(db: Db, batchId: number): Promise<RoundRow[]> {
  const rows = await db
    .selectFrom('qc_round')
    .select(roundColumns)
    .where('batch_id', '=', batchId)
    .orderBy('round')
    .execute();
  return rows.map(toRound);
}

export async function decideRound(
  db: Db,
  roundId: number,
  decision: { wrong: number; decision: 'accepted' | 'returned'; decidedBy: string },
): Promise<void> {
  await db
    .updateTable('qc_round')
    .set({
      wrong: decision.wrong,
      decision: decision.decision,
      decided_by: decision.decidedBy,
      decided_at: new Date(),
    })
    .where('id', '=', roundId)
    .execute();
}

export interface SampleRow {
  roundId: number;
  itemId: number;
  archiveCode: string;
  page: number;
  imageName: string;
  verdict: 'right' | 'wrong' | null;
  reason: string | null;
  reviewer: string | null;
  reviewedAt: Date | null;
}

export async function listSamples(db: Db, roundIds: readonly number[]): Promise<SampleRow[]> {
  if (roundIds.length === 0) return [];
  const rows = await db
    .selectFrom('qc_sample')
    .innerJoin('scan_page', (join) =>
      join
        .onRef('scan_page.item_id', '=', 'qc_sample.item_id')
        .onRef('scan_page.page', '=', 'qc_sample.page'),
    )
    .select([
      'qc_sample.round_id as roundId',
      'qc_sample.item_id as itemId',
      archiveCodeOf(sql.ref('qc_sample.item_id')).as('archiveCode'),
      'qc_sample.page',
      'scan_page.image_name as imageName',
      'qc_sample.verdict',
      'qc_sample.reason',
      'qc_sample.reviewer',
      'qc_sample.reviewed_at as reviewedAt',
    ])
    .where('qc_sample.round_id', 'in', roundIds)
    .orderBy('qc_sample.round_id')
    .orderBy('archiveCode')
    .orderBy('qc_sample.page')
    .execute();
  return rows.map((row) => ({ ...row, roundId: Number(row.roundId), itemId: Number(row.itemId) }));
}

export async function setVerdict(
  db: Db,
  sample: { roundId: number; itemId: number; page: number },
  verdict: { verdict: 'right' | 'wrong'; reason: string | null; reviewer: string },
): Promise<boolean> {
  const result = await db
    .updateTable('qc_sample')
    .set({
      verdict: verdict.verdict,
      reason: verdict.reason,
      reviewer: verdict.reviewer,
      reviewed_at: new Date(),
    })
    .where('round_id', '=', sample.roundId)
    .where('item_id', '=', sample.itemId)
    .where('page', '=', sample.page)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
