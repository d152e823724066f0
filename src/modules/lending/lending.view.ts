import type { Db } from '../../db/database.js';
import { invalid, notFound } from '../../shared/errors.js';
import { accessContextOf, can, type Principal } from '../access/principal.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { findItemsByCodes, itemCodeWithin } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { today, visibleLoan } from './lending.common.js';
import { LOAN_KINDS, LOAN_SHOWN_STATES, RETURN_CONDITIONS } from './lending.names.js';
import {
  type LoanFilter,
  type LoanItemRow,
  type LoanRow,
  listLoans,
  loanItems,
  paperLoansOfItems,
} from './lending.repo.js';
import type { LoanState } from './lending.tables.js';

// Loans as people read them: the list views (mine, awaiting my approval, the archivist's desk, all)
// and one loan in full. Item titles are read through catalog in the viewer's own scope and masking.

export interface LoanItemView {
  archiveCode: string;
  /** The title as the viewer may see it; null when not shown (outside their scope, or withheld). */
  title: string | null;
  handedOverAt: string | null;
  pagesOut: number | null;
  returnedAt: string | null;
  pagesReturned: number | null;
  condition: string | null;
  conditionName: string | null;
  damage: string | null;
}

export interface LoanView {
  loanNo: string;
  kind: string;
  kindName: string;
  state: LoanState;
  /** The state shown: 已到期 for an open electronic loan past its due date, 一级已批 between two levels. */
  shownState: keyof typeof LOAN_SHOWN_STATES;
  stateName: string;
  requestedBy: string;
  borrower: {
    user: string | null;
    organisation: string | null;
    person: string | null;
    letterNo: string | null;
  };
  purpose: string;
  daysRequested: number;
  daysApproved: number | null;
  approvalLevels: number;
  approvedLevel: number;
  level1By: string | null;
  level1At: string | null;
  level2By: string | null;
  level2At: string | null;
  rejectedBy: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  handedOverBy: string | null;
  handedOverAt: string | null;
  /** 应还日 */
  dueOn: string | null;
  /** 实还日 */
  returnedOn: string | null;
  returnedBy: string | null;
  renewals: number;
  renewalsAllowed: number;
  renewalDays: number;
  overdue: boolean;
  createdAt: string;
  closedAt: string | null;
  items: LoanItemView[];
}

const iso = (at: Date | null) => (at ? at.toISOString() : null);

function shownState(loan: LoanRow, now: Date): LoanView['shownState'] {
  if (loan.state === 'on_loan' && loan.kind !== 'paper' && loan.due_on && today(now) > loan.due_on)
    return 'expired';
  if (loan.state === 'requested' && loan.approved_level === 1) return 'level1';
  return loan.state;
}

function viewOf(
  loan: LoanRow,
  items: LoanItemRow[],
  titles: Map<string, string | null>,
  now: Date,
): LoanView {
  const shown = shownState(loan, now);
  return {
    loanNo: loan.loan_no,
    kind: loan.kind,
    kindName: LOAN_KINDS[loan.kind],
    state: loan.state,
    shownState: shown,
    stateName: LOAN_SHOWN_STATES[shown],
    requestedBy: loan.requested_by,
    borrower: {
      user: loan.borrower_username,
      organisation: loan.borrower_org,
      person: loan.borrower_person,
      letterNo: loan.letter_no,
    },
    purpose: loan.purpose,
    daysRequested: loan.days_requested,
    daysApproved: loan.days_approved,
    approvalLevels: loan.approval_levels,
    approvedLevel: loan.approved_level,
    level1By: loan.level1_by,
    level1At: iso(loan.level1_at),
    level2By: loan.level2_by,
    level2At: iso(loan.level2_at),
    rejectedBy: loan.rejected_by,
    rejectedAt: iso(loan.rejected_at),
    rejectReason: loan.reject_reason,
    handedOverBy: loan.handed_over_by,
    handedOverAt: iso(loan.handed_over_at),
    dueOn: loan.due_on,
    returnedOn: loan.returned_on,
    returnedBy: loan.returned_by,
    renewals: loan.renewals,
    renewalsAllowed: loan.renewals_allowed,
    renewalDays: loan.renewal_days,
    overdue: loan.kind === 'paper' && loan.state === 'on_loan' && !!loan.due_on && today(now) > loan.due_on,
    createdAt: loan.created_at.toISOString(),
    closedAt: iso(loan.closed_at),
    items: items
      .filter((item) => item.loan_id === loan.id)
      .map((item) => ({
        archiveCode: item.archive_code,
        title: titles.get(item.archive_code) ?? null,
        handedOverAt: iso(item.handed_over_at),
        pagesOut: item.pages_out,
        returnedAt: iso(item.returned_at),
        pagesReturned: item.pages_returned,
        condition: item.condition,
        conditionName: item.condition ? RETURN_CONDITIONS[item.condition] : null,
        damage: item.damage,
      })),
  };
}

/** Titles of these items as the principal may see them (masked; withheld ones left out). */
async function titlesFor(
  db: Db,
  principal: Principal,
  codes: readonly string[],
): Promise<Map<string, string | null>> {
  if (codes.length === 0) return new Map();
  const access = await accessContextOf(db, principal);
  const found = await discloseItems(
    db,
    access,
    await findItemsByCodes(db, [...new Set(codes)], scopedQuery(access)),
  );
  return new Map(
    found.map((item) => [
      item.archiveCode,
      item.withheld || item.sensitivity !== 'normal' ? null : item.title,
    ]),
  );
}

export async function loanView(
  db: Db,
  principal: Principal,
  loanNo: string,
  now = new Date(),
): Promise<LoanView> {
  const loan = await visibleLoan(db, principal, loanNo);
  const items = await loanItems(db, [loan.id]);
  return viewOf(
    loan,
    items,
    await titlesFor(
      db,
      principal,
      items.map((item) => item.archive_code),
    ),
    now,
  );
}

export type LoanListKind = 'mine' | 'approvals' | 'desk' | 'all';

export interface LoanListQuery {
  view: LoanListKind;
  states?: readonly LoanState[];
  beforeId?: number;
  limit?: number;
}

/** A page of loans (newest first) with their items; titles are not read for lists. */
export async function listLoanViews(
  db: Db,
  principal: Principal,
  query: LoanListQuery,
  now = new Date(),
): Promise<{ loans: LoanView[]; nextBefore: number | null }> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw invalid('INVALID_ARGUMENT', '每页条数应为 1 至 200');
  const filter: LoanFilter = { limit, ...(query.states ? { states: query.states } : {}) };
  if (query.beforeId !== undefined) filter.beforeId = query.beforeId;
  if (query.view === 'mine') filter.mine = principal.userId;
  else {
    const permission = query.view === 'approvals' ? 'loan.approve' : 'loan.handle';
    if (!can(principal, permission)) return { loans: [], nextBefore: null };
    const scope = (await accessContextOf(db, principal)).scope;
    filter.within = (code) => itemCodeWithin(code, scope);
    if (query.view === 'approvals')
      filter.awaiting = { roles: principal.roles, userId: principal.userId, username: principal.username };
    if (query.view === 'desk') filter.desk = true;
  }
  const loans = await listLoans(db, filter);
  const items = await loanItems(
    db,
    loans.map((loan) => loan.id),
  );
  return {
    loans: loans.map((loan) => viewOf(loan, items, new Map(), now)),
    nextBefore: loans.length === limit ? (loans.at(-1)?.id ?? null) : null,
  };
}

/** Where the paper of an item is while it is lent: 借出 to whom, due when (the item page asks). */
export async function paperLoanOf(
  db: Db,
  principal: Principal,
  archiveCode: string,
): Promise<{ loanNo: string; borrower: string; dueOn: string | null; handedOverAt: string | null } | null> {
  const access = await accessContextOf(db, principal);
  const [item] = await findItemsByCodes(db, [archiveCode], scopedQuery(access));
  if (!item) throw notFound('ITEM_NOT_FOUND', `档号不存在：${archiveCode.slice(0, 60)}`);
  const [held] = await paperLoansOfItems(db, [archiveCode]);
  if (!held) return null;
  const { loan } = held;
  return {
    loanNo: loan.loan_no,
    borrower: loan.borrower_org
      ? `${loan.borrower_org}${loan.borrower_person ? `（${loan.borrower_person}）` : ''}`
      : (loan.borrower_username ?? ''),
    dueOn: loan.due_on,
    handedOverAt: iso(loan.handed_over_at),
  };
}
