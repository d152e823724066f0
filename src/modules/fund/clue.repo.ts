import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ClueState, RuleParams } from './rule.tables.js';

// The clues' SQL (fund_clue, this module's own table). Every read takes the caller's regions.

export interface ClueRow {
  id: number;
  run_id: number;
  rule_code: string;
  rule_version: number;
  params: RuleParams;
  settlement_ids: number[];
  serials: string[];
  person_key: string | null;
  institution_code: string | null;
  region: string;
  amount: string;
  evidence: unknown;
  fingerprint: string;
  state: ClueState;
  case_code: string | null;
  dismiss_reason: string | null;
  changed_by: string | null;
  changed_at: Date | null;
}

export interface ClueQuery {
  runId?: number;
  rule?: string;
  state?: ClueState;
  institution?: string;
  caseCode?: string;
}

// A clue pairing settlements of two regions (a run over a wider prefix) shows both in its evidence, so
// it is found only by a caller whose regions reach every one of its settlements (review G1).
const inRegions = (regions: readonly string[] | null) => {
  if (regions === null) return sql`true`;
  if (regions.length === 0) return sql`false`;
  const prefixes = sql`array[${sql.join(regions.map((prefix) => sql`${`${prefix}%`}::text`))}]`;
  return sql`c.region like any (${prefixes}) and not exists (
    select 1 from fund_settlement s where s.id = any (c.settlement_ids) and not (s.region like any (${prefixes})))`;
};

const COLUMNS = sql`c.id, c.run_id, c.rule_code, c.rule_version, c.params, c.settlement_ids::integer[] as settlement_ids,
  c.serials, c.person_key, c.institution_code, c.region, c.amount, c.evidence, c.fingerprint, c.state, c.case_code,
  c.dismiss_reason, c.changed_by, c.changed_at`;

export async function selectClues(
  db: Db,
  regions: readonly string[] | null,
  query: ClueQuery,
  limit: number,
  afterId: number,
): Promise<ClueRow[]> {
  const { rows } = await sql<ClueRow>`
    select ${COLUMNS} from fund_clue c
    where ${inRegions(regions)} and c.id > ${afterId}
      ${query.runId !== undefined ? sql`and c.run_id = ${query.runId}` : sql``}
      ${query.rule !== undefined ? sql`and c.rule_code = ${query.rule}` : sql``}
      ${query.state !== undefined ? sql`and c.state = ${query.state}` : sql``}
      ${query.institution !== undefined ? sql`and c.institution_code = ${query.institution}` : sql``}
      ${query.caseCode !== undefined ? sql`and c.case_code = ${query.caseCode}` : sql``}
    order by c.id limit ${limit}`.execute(db);
  return rows;
}

export async function selectClue(
  db: Db,
  regions: readonly string[] | null,
  id: number,
  lock = false,
): Promise<ClueRow | undefined> {
  const { rows } = await sql<ClueRow>`
    select ${COLUMNS} from fund_clue c where c.id = ${id} and ${inRegions(regions)}
    ${lock ? sql`for update` : sql``}`.execute(db);
  return rows[0];
}

export async function setClueState(
  db: Db,
  id: number,
  change: { state: ClueState; caseCode: string | null; reason: string | null; by: string },
): Promise<void> {
  await db
    .updateTable('fund_clue')
    .set({
      state: change.state,
      case_code: change.caseCode,
      dismiss_reason: change.reason,
      changed_by: change.by,
      changed_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}
