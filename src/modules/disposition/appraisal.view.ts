import type { Db } from '../../db/database.js';
import { itemsAmong } from '../../db/shared-sql.js';
import type { AccessContext } from '../../shared/access-context.js';
import { notFound } from '../../shared/errors.js';
import {
  type DueItem,
  dueItems,
  type ExpiryListFilter,
  type ExpirySummaryEntry,
  expirySummary,
} from '../catalog/expiry.queries.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import {
  findRound,
  itemsUnderAppraisal,
  listRoundRows,
  roundItems,
  roundMembers,
  roundTally,
} from './appraisal.repo.js';
import type { RoundSummary } from './appraisal.service.js';
import type { AppraisalChoice } from './appraisal.tables.js';
import { itemsOnOpenRegistersSql } from './destruction.repo.js';

// What people read of appraisal: the expiry list with each item's appraisal state, the rounds, one
// round with its group and items (titles masked as every list masks them).

function mayRead(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('appraisal.work');
}

const scopeFonds = (access: AccessContext): string[] | null =>
  access.kind === 'system' || access.scope.rows.some((row) => row.fondsCode === null)
    ? null
    : [...new Set(access.scope.rows.map((row) => row.fondsCode as string))];

export type ExpiryState = 'due' | 'in_round' | 'decided' | 'on_register' | 'destroyed';

export interface ExpiryListItem extends DueItem {
  /** 已到期待鉴定, 鉴定中, 已作出结论, 已列入销毁清册, 已销毁. */
  state: ExpiryState;
  /** The round the item is under appraisal in (or was decided in last), and its decision. */
  round: string | null;
  decision: AppraisalChoice | null;
}

export interface ExpiryList {
  fonds: string;
  refreshedAt: string | null;
  entries: ExpirySummaryEntry[];
  /** Items due by today, a page by 档号. */
  items: ExpiryListItem[];
}

/** The fonds's expiry list (到期档案清单) within the caller's scope, with the due items' appraisal state. */
export async function expiryList(
  db: Db,
  access: AccessContext,
  filter: ExpiryListFilter,
  page: { limit: number; offset: number } = { limit: 50, offset: 0 },
  now = new Date(),
): Promise<ExpiryList> {
  mayRead(access);
  const summary = await expirySummary(db, access, filter, now);
  const due = await dueItems(db, access, filter, page, now);
  const states = await itemsUnderAppraisal(
    db,
    due.map((item) => item.id),
  );
  // The round still deciding on the item, else the one that decided on it last.
  const latest = new Map<number, (typeof states)[number]>();
  for (const state of states) {
    const seen = latest.get(state.itemId);
    if (!seen || (seen.decided && (!state.decided || state.roundId > seen.roundId)))
      latest.set(state.itemId, state);
  }
  const onRegister = await itemsAmong(
    db,
    itemsOnOpenRegistersSql(),
    due.map((item) => item.id),
  );
  const stateOf = (item: DueItem): ExpiryState => {
    if (item.destroyed) return 'destroyed';
    if (onRegister.has(item.id)) return 'on_register';
    const round = latest.get(item.id);
    return round === undefined ? 'due' : round.decided ? 'decided' : 'in_round';
  };
  return {
    fonds: filter.fonds,
    refreshedAt: summary.refreshedAt,
    entries: summary.entries,
    items: due.map((item) => ({
      ...item,
      state: stateOf(item),
      round: latest.get(item.id)?.round ?? null,
      decision: latest.get(item.id)?.decision ?? null,
    })),
  };
}

export interface RoundListEntry extends RoundSummary {
  items: number;
  proposed: number;
  keep: number;
  destroy: number;
}

/** The rounds of the fonds the caller's scope reaches, newest first. */
export async function listRounds(db: Db, access: AccessContext, fonds?: string): Promise<RoundListEntry[]> {
  mayRead(access);
  let allowed = scopeFonds(access);
  if (fonds !== undefined) allowed = allowed === null || allowed.includes(fonds) ? [fonds] : [];
  const rounds = await listRoundRows(db, allowed);
  return Promise.all(
    rounds.map(async (round) => ({
      code: round.code,
      fonds: round.fondsCode,
      title: round.title,
      lead: round.lead,
      status: round.status,
      openedBy: round.openedBy,
      openedAt: round.openedAt.toISOString(),
      ...(await roundTally(db, round.id)),
    })),
  );
}

export interface RoundItemView {
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  categoryName: string;
  retention: string;
  expiresOn: string | null;
  proposal: AppraisalChoice | null;
  proposalRetention: string | null;
  proposalReason: string | null;
  proposedBy: string | null;
  decision: AppraisalChoice | null;
  decisionRetention: string | null;
  decisionReason: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The row's version: pass it back with a decision so a change meanwhile is refused. */
  version: number;
}

export interface RoundDetail extends Omit<RoundListEntry, 'items'> {
  itemCount: number;
  members: Array<{ username: string; lead: boolean }>;
  items: RoundItemView[];
}

/** One round with its group and a page of its items (those the caller's scope reaches). */
export async function showRound(
  db: Db,
  access: AccessContext,
  code: string,
  page: { limit: number; offset: number } = { limit: 200, offset: 0 },
): Promise<RoundDetail> {
  mayRead(access);
  const round = typeof code === 'string' ? await findRound(db, code) : undefined;
  const allowed = scopeFonds(access);
  if (!round || (allowed !== null && !allowed.includes(round.fondsCode)))
    throw notFound('APPRAISAL_ROUND_NOT_FOUND', `鉴定批次“${String(code).slice(0, 40)}”不存在`);
  const [members, tally, rows] = await Promise.all([
    roundMembers(db, round.id),
    roundTally(db, round.id),
    roundItems(db, round.id, page),
  ]);
  const found = await findItemsByCodes(
    db,
    rows.map((row) => row.archiveCode),
    scopedQuery(access),
  );
  const shown = new Map((await discloseItems(db, access, found)).map((item) => [item.archiveCode, item]));
  return {
    code: round.code,
    fonds: round.fondsCode,
    title: round.title,
    lead: round.lead,
    status: round.status,
    openedBy: round.openedBy,
    openedAt: round.openedAt.toISOString(),
    itemCount: tally.items,
    proposed: tally.proposed,
    keep: tally.keep,
    destroy: tally.destroy,
    members: members.map((member) => ({ username: member.username, lead: member.isLead })),
    items: rows.flatMap((row) => {
      const item = shown.get(row.archiveCode);
      if (!item) return [];
      return [
        {
          archiveCode: row.archiveCode,
          title: item.withheld ? '' : item.title,
          year: item.year,
          category: item.category,
          categoryName: item.categoryName,
          retention: item.retention,
          expiresOn: item.retentionExpiresOn,
          proposal: row.proposal,
          proposalRetention: row.proposalRetention,
          proposalReason: row.proposalReason,
          proposedBy: row.proposedBy,
          decision: row.decision,
          decisionRetention: row.decisionRetention,
          decisionReason: row.decisionReason,
          decidedBy: row.decidedBy,
          decidedAt: row.decidedAt ? row.decidedAt.toISOString() : null,
          version: row.version,
        },
      ];
    }),
  };
}
