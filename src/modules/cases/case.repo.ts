import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { CaseConclusion, CaseSource, CaseState, FundCaseTable } from './case.tables.js';

// The SQL of 核查案件, over the cases module's own tables only. A case is read within region prefixes
// (null: every region), so one outside the caller's reach is simply not found.

export type Regions = readonly string[] | null;

export interface CaseRow {
  id: number;
  code: string;
  title: string;
  source: CaseSource;
  source_reason: string | null;
  fonds_code: string;
  region: string;
  state: CaseState;
  assignee: string | null;
  opened_by: string;
  opened_at: Date;
  conclusion: CaseConclusion | null;
  recover_amount: string | null;
  conclusion_reason: string | null;
  concluded_by: string | null;
  concluded_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  filed_code: string | null;
  clue_amount: string | null;
  clue_count: number;
  evidence_count: number;
}

const inRegions = (regions: Regions) =>
  regions === null
    ? sql`true`
    : regions.length === 0
      ? sql`false`
      : sql`(${sql.join(
          regions.map((prefix) => sql`c.region like ${`${prefix}%`}`),
          sql` or `,
        )})`;

const CASE_COLUMNS = sql`c.id, c.code, c.title, c.source, c.source_reason, c.fonds_code, c.region, c.state,
  c.assignee, c.opened_by, c.opened_at, c.conclusion, c.recover_amount::text as recover_amount,
  c.conclusion_reason, c.concluded_by, c.concluded_at, c.closed_by, c.closed_at, c.filed_code,
  (select sum(k.amount)::text from fund_case_clue k where k.case_id = c.id) as clue_amount,
  (select count(*)::int from fund_case_clue k where k.case_id = c.id) as clue_count,
  (select count(*)::int from fund_case_evidence v where v.case_id = c.id) as evidence_count`;

/** The next number of the year, never reused (the counter only moves forward). */
export async function nextCaseNumber(trx: Db, year: number): Promise<number> {
  const { rows } = await sql<{ last_number: number }>`insert into fund_case_sequence (year, last_number)
    values (${year}, 1) on conflict (year) do update set last_number = fund_case_sequence.last_number + 1
    returning last_number`.execute(trx);
  return Number(rows[0]?.last_number);
}

export async function insertCase(
  trx: Db,
  row: Pick<
    FundCaseTable,
    'code' | 'title' | 'source' | 'source_reason' | 'fonds_code' | 'region' | 'assignee' | 'opened_by'
  >,
): Promise<number> {
  const inserted = await trx
    .insertInto('fund_case')
    .values({ ...row, state: 'open' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/** One case within the regions (locked for the transaction when asked). */
export async function findCase(
  db: Db,
  code: string,
  regions: Regions,
  forUpdate = false,
): Promise<CaseRow | undefined> {
  if (forUpdate)
    await sql`select id from fund_case c where c.code = ${code} and ${inRegions(regions)} for update`.execute(
      db,
    );
  const { rows } = await sql<CaseRow>`select ${CASE_COLUMNS} from fund_case c
    where c.code = ${code} and ${inRegions(regions)}`.execute(db);
  return rows[0];
}

export interface CaseFilter {
  state?: CaseState;
  assignee?: string;
  fonds?: string;
  region?: string;
  /** Cases opened in this year. */
  year?: number;
  beforeId?: number;
  limit: number;
}

export async function listCaseRows(db: Db, regions: Regions, filter: CaseFilter): Promise<CaseRow[]> {
  const conditions = [inRegions(regions)];
  if (filter.state) conditions.push(sql`c.state = ${filter.state}`);
  if (filter.assignee) conditions.push(sql`c.assignee = ${filter.assignee}`);
  if (filter.fonds) conditions.push(sql`c.fonds_code = ${filter.fonds}`);
  if (filter.region) conditions.push(sql`c.region like ${`${filter.region}%`}`);
  if (filter.year) conditions.push(sql`c.code like ${`HC${filter.year}%`}`);
  if (filter.beforeId) conditions.push(sql`c.id < ${filter.beforeId}`);
  const { rows } = await sql<CaseRow>`select ${CASE_COLUMNS} from fund_case c
    where ${sql.join(conditions, sql` and `)} order by c.id desc limit ${filter.limit}`.execute(db);
  return rows;
}

export async function updateCase(
  trx: Db,
  id: number,
  changes: Partial<
    Pick<
      FundCaseTable,
      | 'state'
      | 'assignee'
      | 'conclusion'
      | 'recover_amount'
      | 'conclusion_reason'
      | 'concluded_by'
      | 'concluded_at'
      | 'closed_by'
      | 'closed_at'
      | 'filed_code'
    >
  >,
): Promise<void> {
  await trx.updateTable('fund_case').set(changes).where('id', '=', id).execute();
}

export async function insertNote(trx: Db, caseId: number, author: string, body: string): Promise<number> {
  const row = await trx
    .insertInto('fund_case_note')
    .values({ case_id: caseId, author, body })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function notesOf(db: Db, caseId: number) {
  return db
    .selectFrom('fund_case_note')
    .select(['id', 'author', 'at', 'body'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
}

/** Adds evidence; returns the 档号 that were not yet attached. */
export async function insertEvidence(
  trx: Db,
  caseId: number,
  rows: ReadonlyArray<{ archiveCode: string; fonds: string }>,
  via: CaseSource,
  addedBy: string,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const added = await trx
    .insertInto('fund_case_evidence')
    .values(
      rows.map((row) => ({
        case_id: caseId,
        archive_code: row.archiveCode,
        fonds_code: row.fonds,
        via,
        added_by: addedBy,
      })),
    )
    .onConflict((oc) => oc.columns(['case_id', 'archive_code']).doNothing())
    .returning('archive_code')
    .execute();
  return added.map((row) => row.archive_code);
}

export function evidenceOf(db: Db, caseId: number) {
  return db
    .selectFrom('fund_case_evidence')
    .select(['archive_code', 'fonds_code', 'via', 'added_by', 'added_at'])
    .where('case_id', '=', caseId)
    .orderBy('added_at')
    .orderBy('archive_code')
    .execute();
}

export async function insertCaseHold(
  trx: Db,
  caseId: number,
  holdCode: string,
  fonds: string,
): Promise<void> {
  await trx
    .insertInto('fund_case_hold')
    .values({ case_id: caseId, hold_code: holdCode, fonds_code: fonds })
    .execute();
}

export function caseHoldsOf(db: Db, caseId: number) {
  return db
    .selectFrom('fund_case_hold')
    .select(['hold_code', 'fonds_code', 'placed_at', 'lifted_at'])
    .where('case_id', '=', caseId)
    .orderBy('placed_at')
    .orderBy('hold_code')
    .execute();
}

export async function markCaseHoldLifted(trx: Db, caseId: number, holdCode: string): Promise<void> {
  await trx
    .updateTable('fund_case_hold')
    .set({ lifted_at: new Date() })
    .where('case_id', '=', caseId)
    .where('hold_code', '=', holdCode)
    .execute();
}

export async function insertCaseClues(
  trx: Db,
  caseId: number,
  clues: ReadonlyArray<{ id: number; rule: string; ruleName: string; ruleVersion: number; amount: string }>,
  attachedBy: string,
): Promise<void> {
  if (clues.length === 0) return;
  await trx
    .insertInto('fund_case_clue')
    .values(
      clues.map((clue) => ({
        case_id: caseId,
        clue_id: clue.id,
        rule_code: clue.rule,
        rule_name: clue.ruleName,
        rule_version: clue.ruleVersion,
        amount: clue.amount,
        attached_by: attachedBy,
      })),
    )
    .execute();
}

export function caseCluesOf(db: Db, caseId: number) {
  return db
    .selectFrom('fund_case_clue')
    .select(['clue_id', 'rule_code', 'rule_name', 'rule_version', 'amount', 'attached_by', 'attached_at'])
    .where('case_id', '=', caseId)
    .orderBy('clue_id')
    .execute();
}

/** The clues already in a case (any case), of these ids. */
export async function cluesInCases(db: Db, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ clue_id: string; code: string }>`select k.clue_id::text, c.code
    from fund_case_clue k join fund_case c on c.id = k.case_id
    where k.clue_id in (${sql.join(ids)}) and c.state <> 'closed'`.execute(db);
  return new Map(rows.map((row) => [Number(row.clue_id), row.code]));
}

/**
 * Every case's state as verify and the log's digests see it: who may see it (region), whose it is,
 * where it stands, what it holds and concluded. One statement per table; keyed case:<code>.
 */
export async function caseStateRows(db: Db, caseId?: number): Promise<Map<string, object>> {
  const which = caseId === undefined ? sql`true` : sql`c.id = ${caseId}`;
  const cases = await sql<{
    id: number;
    code: string;
    title: string;
    source: string;
    source_reason: string | null;
    fonds_code: string;
    region: string;
    state: string;
    assignee: string | null;
    conclusion: string | null;
    recover_amount: string | null;
    conclusion_reason: string | null;
    filed_code: string | null;
  }>`select c.id, c.code, c.title, c.source, c.source_reason, c.fonds_code, c.region, c.state, c.assignee,
      c.conclusion, c.recover_amount::text as recover_amount, c.conclusion_reason, c.filed_code
    from fund_case c where ${which} order by c.id`.execute(db);
  const listed = async (query: ReturnType<typeof sql<{ case_id: number; value: string }>>) => {
    const map = new Map<number, string[]>();
    for (const row of (await query.execute(db)).rows)
      map.set(row.case_id, [...(map.get(row.case_id) ?? []), row.value]);
    return map;
  };
  const evidence = await listed(sql<{
    case_id: number;
    value: string;
  }>`select v.case_id, v.archive_code as value
    from fund_case_evidence v join fund_case c on c.id = v.case_id where ${which} order by v.case_id, v.archive_code`);
  const holds = await listed(sql<{ case_id: number; value: string }>`select h.case_id,
      h.hold_code || case when h.lifted_at is null then '' else ':lifted' end as value
    from fund_case_hold h join fund_case c on c.id = h.case_id where ${which} order by h.case_id, h.hold_code`);
  const clues = await listed(sql<{ case_id: number; value: string }>`select k.case_id,
      k.clue_id::text || '@' || k.amount::text as value
    from fund_case_clue k join fund_case c on c.id = k.case_id where ${which} order by k.case_id, k.clue_id`);
  const notes = await listed(sql<{ case_id: number; value: string }>`select n.case_id, n.id::text as value
    from fund_case_note n join fund_case c on c.id = n.case_id where ${which} order by n.case_id, n.id`);
  return new Map(
    cases.rows.map((row) => [
      `case:${row.code}`,
      {
        code: row.code,
        title: row.title,
        source: row.source,
        sourceReason: row.source_reason,
        fonds: row.fonds_code,
        region: row.region,
        state: row.state,
        assignee: row.assignee,
        conclusion: row.conclusion,
        recoverAmount: row.recover_amount,
        conclusionReason: row.conclusion_reason,
        filedCode: row.filed_code,
        evidence: evidence.get(row.id) ?? [],
        holds: holds.get(row.id) ?? [],
        clues: clues.get(row.id) ?? [],
        notes: (notes.get(row.id) ?? []).length,
      },
    ]),
  );
}
