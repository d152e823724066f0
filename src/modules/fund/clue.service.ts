import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { hasBadText } from '../../shared/well-formed.js';
import { readReason } from './rule.input.js';
import { type ClueQuery, type ClueRow, selectClue, selectClues, setClueState } from './clue.repo.js';
import type { ClueState, RuleParams } from './rule.tables.js';
import { CLUE_STATE_LABELS } from './clue.names.js';
import { ruleByCode } from './rules/index.js';

export { CLUE_STATE_LABELS };
import { fundRegions } from './settlement.scope.js';
import { archivesBySettlementSerials, type SettlementArchive } from '../catalog/settlement-link.service.js';

// 线索: one hit of a rule with its evidence. Read with fund.read within the caller's regions (a clue
// of another region is "not found"); dismissed with a reason by case.work; attached to and released
// from a case by the cases module (核查案件) through attachCluesToCase / releaseCluesFromCase. The
// person is shown as the first characters of the blind index, never an ID number.

export interface ClueView {
  id: number;
  runId: number;
  rule: string;
  ruleName: string;
  ruleVersion: number;
  params: RuleParams;
  serials: string[];
  settlementIds: number[];
  person: string | null;
  institutionCode: string | null;
  region: string;
  amount: string;
  evidence: unknown;
  fingerprint: string;
  state: ClueState;
  caseCode: string | null;
  dismissReason: string | null;
  changedBy: string | null;
  changedAt: string | null;
}

export interface ClueFilter extends ClueQuery {
  /** The id after which the page starts (the previous page's `next`). */
  cursor?: string;
  limit?: number;
}

export const CLUE_STATES: readonly ClueState[] = ['open', 'in_case', 'dismissed'];

/** The person as a clue shows them: the blind index's first eight characters. */
const personOf = (key: string | null) => (key ? `${key.trim().slice(0, 8)}…` : null);

export function toClueView(row: ClueRow): ClueView {
  return {
    id: Number(row.id),
    runId: row.run_id,
    rule: row.rule_code,
    ruleName: ruleByCode(row.rule_code)?.name ?? row.rule_code,
    ruleVersion: row.rule_version,
    params: row.params,
    serials: row.serials,
    settlementIds: row.settlement_ids.map(Number),
    person: personOf(row.person_key),
    institutionCode: row.institution_code,
    region: row.region,
    amount: row.amount,
    evidence: row.evidence,
    fingerprint: row.fingerprint,
    state: row.state,
    caseCode: row.case_code,
    dismissReason: row.dismiss_reason,
    changedBy: row.changed_by,
    changedAt: row.changed_at?.toISOString() ?? null,
  };
}

const read = (access: AccessContext) => {
  if (access.kind === 'principal') access.authorize('fund.read');
};

const missing = (id: number | string) =>
  notFound('FUND_CLUE_NOT_FOUND', `审核线索 ${String(id).slice(0, 20)} 不存在`);

const clueId = (id: number): number => {
  if (!Number.isSafeInteger(id) || id <= 0) throw missing(id);
  return id;
};

export async function readClue(db: Db, access: AccessContext, id: number): Promise<ClueView> {
  read(access);
  const row = await selectClue(db, await fundRegions(db, access), clueId(id));
  if (!row) throw missing(id);
  return toClueView(row);
}

export async function listClues(
  db: Db,
  access: AccessContext,
  filter: ClueFilter = {},
): Promise<{ clues: ClueView[]; next: string | null }> {
  read(access);
  if (filter.state !== undefined && !CLUE_STATES.includes(filter.state))
    throw invalid('FUND_CLUE_STATE', `线索状态应为 ${CLUE_STATES.join('、')} 之一`);
  if (filter.rule !== undefined && !ruleByCode(filter.rule))
    throw notFound('FUND_RULE_NOT_FOUND', `审核规则“${filter.rule.slice(0, 40)}”不存在`);
  const after = filter.cursor === undefined || filter.cursor === '' ? 0 : Number(filter.cursor);
  if (!Number.isSafeInteger(after) || after < 0) throw invalid('FUND_CLUE_STATE', '翻页位置（cursor）有误');
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const rows = await selectClues(db, await fundRegions(db, access), filter, limit + 1, after);
  const page = rows.slice(0, limit).map(toClueView);
  return { clues: page, next: rows.length > limit ? String(page[page.length - 1]?.id) : null };
}

/** Marks an open clue as not a violation, with a reason (an event). */
export async function dismissClue(
  db: Db,
  access: AccessContext,
  id: number,
  reason: string,
): Promise<ClueView> {
  if (access.kind === 'principal') access.authorize('case.work');
  const text = readReason(reason, '排除线索的理由', 'FUND_CLUE_REASON_REQUIRED');
  const regions = await fundRegions(db, access);
  return inTransaction(db, async (trx) => {
    const row = await selectClue(trx, regions, clueId(id), true);
    if (!row) throw missing(id);
    if (row.state !== 'open')
      throw conflict(
        'FUND_CLUE_STATE',
        `线索 ${id} 当前为“${CLUE_STATE_LABELS[row.state]}”，只有待处理的线索可以排除`,
      );
    const by = actorIn(access);
    await setClueState(trx, row.id, { state: 'dismissed', caseCode: null, reason: text, by });
    recordEvent(trx, {
      actor: by,
      action: 'fund.clue_dismissed',
      subject: `fund-clue:${row.id}`,
      payload: { rule: row.rule_code, reason: text },
    });
    return toClueView((await selectClue(trx, regions, row.id)) as ClueRow);
  });
}

async function moveClues(
  db: Db,
  access: AccessContext,
  ids: readonly number[],
  caseCode: string,
  attach: boolean,
): Promise<ClueView[]> {
  read(access);
  const code = (caseCode ?? '').trim();
  if (code === '' || code.length > 64 || hasBadText(code)) throw invalid('FUND_CLUE_STATE', '案件编号有误');
  const regions = await fundRegions(db, access);
  const unique = [...new Set(ids.map(clueId))];
  return inTransaction(db, async (trx) => {
    const views: ClueView[] = [];
    for (const id of unique.sort((a, b) => a - b)) {
      const row = await selectClue(trx, regions, id, true);
      if (!row) throw missing(id);
      if (attach ? row.state !== 'open' : row.state !== 'in_case' || row.case_code !== code)
        throw conflict(
          'FUND_CLUE_STATE',
          attach
            ? `线索 ${id} 当前为“${CLUE_STATE_LABELS[row.state]}”${row.case_code ? `（案件 ${row.case_code}）` : ''}，只有待处理的线索可以并入案件`
            : `线索 ${id} 不在案件 ${code} 中`,
        );
      const by = actorIn(access);
      await setClueState(trx, id, {
        state: attach ? 'in_case' : 'open',
        caseCode: attach ? code : null,
        reason: null,
        by,
      });
      recordEvent(trx, {
        actor: by,
        action: attach ? 'fund.clue_attached' : 'fund.clue_released',
        subject: `fund-clue:${id}`,
        payload: { rule: row.rule_code, case: code },
      });
      views.push(toClueView((await selectClue(trx, regions, id)) as ClueRow));
    }
    return views;
  });
}

/** Open clues into a case (立案): each becomes in_case with the case's code, an event each. */
export const attachCluesToCase = (db: Db, access: AccessContext, ids: readonly number[], caseCode: string) =>
  moveClues(db, access, ids, caseCode, true);

/** The case's clues back to open (a case closed as 不违规, or a clue taken out of it). */
export const releaseCluesFromCase = (
  db: Db,
  access: AccessContext,
  ids: readonly number[],
  caseCode: string,
) => moveClues(db, access, ids, caseCode, false);

/** The archive items filed for the clue's settlements (by 结算流水号), masked, under the caller's grants. */
export async function archivesOfClue(
  db: Db,
  access: AccessContext,
  id: number,
): Promise<SettlementArchive[]> {
  const clue = await readClue(db, access, id);
  return archivesBySettlementSerials(db, access, clue.serials);
}
