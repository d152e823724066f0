import type { Db } from '../../db/database.js';
import { type AccessContext, withDisclosure } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { findFonds } from '../catalog/fonds.service.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { withholdUngranted } from '../catalog/item.gate.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { eventLabel } from '../integrity/event-catalog.js';
import { eventsOfSubjects } from '../integrity/event.queries.js';
import { regionName } from '../regions/regions.js';
import { caseText } from './case.input.js';
import { CASE_CONCLUSIONS, CASE_SOURCES, CASE_STATES, isCaseState } from './case.names.js';
import { type CaseRow, caseCluesOf, caseHoldsOf, evidenceOf, listCaseRows, notesOf } from './case.repo.js';
import { authorizeCases, caseRegions, caseSubject, visibleCase } from './case.service.js';

// A case as people read it. Evidence is shown as the reader may see each archive now, through the
// catalog with their own context: masked, a sensitive one without their grant withheld (档号 and
// category only), one outside their archive scope not named at all. Steps are the case's events.

export interface CaseView {
  code: string;
  title: string;
  source: CaseRow['source'];
  sourceName: string;
  sourceReason: string | null;
  fonds: string;
  region: string;
  regionName: string | null;
  state: CaseRow['state'];
  stateName: string;
  assignee: string | null;
  openedBy: string;
  openedAt: string;
  conclusion: CaseRow['conclusion'];
  conclusionName: string | null;
  recoverAmount: string | null;
  conclusionReason: string | null;
  concludedBy: string | null;
  concludedAt: string | null;
  closedBy: string | null;
  closedAt: string | null;
  filedCode: string | null;
  clueCount: number;
  clueAmount: string | null;
  evidenceCount: number;
}

export interface CaseEvidence {
  /** null when the archive lies outside the reader's archive scope. */
  archiveCode: string | null;
  via: CaseRow['source'];
  addedBy: string;
  addedAt: string;
  title: string | null;
  category: string | null;
  year: number | null;
  sensitivity: string | null;
  withheld: boolean;
}

export interface CaseDetail extends CaseView {
  fondsName: string;
  notes: Array<{ id: number; author: string; at: string; text: string }>;
  evidence: CaseEvidence[];
  clues: Array<{ id: number; rule: string; ruleName: string; ruleVersion: number; amount: string }>;
  holds: Array<{ code: string; fonds: string; lifted: boolean }>;
  steps: Array<{ action: string; label: string; actor: string; at: string }>;
}

export function caseView(row: CaseRow): CaseView {
  return {
    code: row.code,
    title: row.title,
    source: row.source,
    sourceName: CASE_SOURCES[row.source],
    sourceReason: row.source_reason,
    fonds: row.fonds_code,
    region: row.region,
    regionName: regionName(row.region) ?? null,
    state: row.state,
    stateName: CASE_STATES[row.state],
    assignee: row.assignee,
    openedBy: row.opened_by,
    openedAt: beijingIso(row.opened_at),
    conclusion: row.conclusion,
    conclusionName: row.conclusion ? CASE_CONCLUSIONS[row.conclusion] : null,
    recoverAmount: row.recover_amount,
    conclusionReason: row.conclusion_reason,
    concludedBy: row.concluded_by,
    concludedAt: beijingIso(row.concluded_at),
    closedBy: row.closed_by,
    closedAt: beijingIso(row.closed_at),
    filedCode: row.filed_code,
    clueCount: row.clue_count,
    clueAmount: row.clue_amount,
    evidenceCount: row.evidence_count,
  };
}

export interface CaseListFilter {
  state?: string;
  assignee?: string;
  fonds?: string;
  region?: string;
  year?: number;
  before?: number;
  limit?: number;
}

export async function listCases(
  db: Db,
  access: AccessContext,
  filter: CaseListFilter = {},
): Promise<{ cases: CaseView[]; nextBefore: number | null }> {
  authorizeCases(access, 'fund.read');
  if (filter.state !== undefined && !isCaseState(filter.state))
    throw invalid(
      'CASE_INPUT_INVALID',
      `状态应为 ${Object.entries(CASE_STATES)
        .map(([code, name]) => `${code}（${name}）`)
        .join('、')} 之一`,
    );
  if (filter.region !== undefined && !/^\d{2,6}$/.test(filter.region))
    throw invalid('CASE_INPUT_INVALID', '地区应为 2–6 位行政区划代码前缀');
  if (
    filter.year !== undefined &&
    (!Number.isInteger(filter.year) || filter.year < 2000 || filter.year > 2200)
  )
    throw invalid('CASE_INPUT_INVALID', '年度应为 2000–2200 之间的整数');
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const rows = await listCaseRows(db, await caseRegions(db, access), {
    limit,
    ...(filter.state ? { state: filter.state as CaseRow['state'] } : {}),
    ...(filter.assignee ? { assignee: caseText(filter.assignee, '承办人', 64, true) } : {}),
    ...(filter.fonds ? { fonds: filter.fonds.trim().toUpperCase() } : {}),
    ...(filter.region ? { region: filter.region } : {}),
    ...(filter.year ? { year: filter.year } : {}),
    ...(filter.before ? { beforeId: filter.before } : {}),
  });
  return {
    cases: rows.map(caseView),
    nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
  };
}

async function evidenceShown(db: Db, access: AccessContext, caseId: number): Promise<CaseEvidence[]> {
  const rows = await evidenceOf(db, caseId);
  const found = await findItemsByCodes(
    db,
    rows.map((row) => row.archive_code),
    scopedQuery(access),
  );
  const shown = await discloseItems(
    db,
    withDisclosure(access, { unmask: false }),
    await withholdUngranted(db, found, access),
  );
  const items = new Map(shown.map((item) => [item.archiveCode, item]));
  return rows.map((row) => {
    const item = items.get(row.archive_code);
    return {
      archiveCode: item ? row.archive_code : null,
      via: row.via,
      addedBy: row.added_by,
      addedAt: beijingIso(row.added_at),
      title: item && !item.withheld ? item.title : null,
      category: item?.category ?? null,
      year: item?.year ?? null,
      sensitivity: item?.sensitivity ?? null,
      withheld: item?.withheld === true,
    };
  });
}

export async function caseDetail(db: Db, access: AccessContext, code: unknown): Promise<CaseDetail> {
  authorizeCases(access, 'fund.read');
  const row = await visibleCase(db, access, code);
  const [fonds, notes, evidence, clues, holds, events] = await Promise.all([
    findFonds(db, row.fonds_code),
    notesOf(db, row.id),
    evidenceShown(db, access, row.id),
    caseCluesOf(db, row.id),
    caseHoldsOf(db, row.id),
    eventsOfSubjects(db, [caseSubject(row.code)], Number.MAX_SAFE_INTEGER),
  ]);
  return {
    ...caseView(row),
    fondsName: fonds?.name ?? row.fonds_code,
    notes: notes.map((note) => ({
      id: note.id,
      author: note.author,
      at: beijingIso(note.at),
      text: note.body,
    })),
    evidence,
    clues: clues.map((clue) => ({
      id: Number(clue.clue_id),
      rule: clue.rule_code,
      ruleName: clue.rule_name,
      ruleVersion: clue.rule_version,
      amount: String(clue.amount),
    })),
    holds: holds.map((hold) => ({
      code: hold.hold_code,
      fonds: hold.fonds_code,
      lifted: hold.lifted_at !== null,
    })),
    steps: events.map((event) => ({
      action: event.action,
      label: eventLabel(event.action),
      actor: event.actor,
      at: beijingIso(event.recordedAt),
    })),
  };
}
