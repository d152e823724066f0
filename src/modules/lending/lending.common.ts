import type { Db } from '../../db/database.js';
import { beijingDate } from '../../shared/beijing-time.js';
import type { ErrorCode } from '../../shared/error-codes.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { accessContextOf, accountOf, can, type Principal } from '../access/principal.js';
import { countInScope } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { LOAN_STATES } from './lending.names.js';
import { findLoan, type LoanRow, loanItems } from './lending.repo.js';
import type { LoanState } from './lending.tables.js';

// What every step of a loan shares: its subject in the log, its clock, who it belongs to.

export const loanSubject = (loanNo: string) => `loan:${loanNo}`;

/**
 * The moment a step happens: never before the loan's last change, so a server clock that jumped back
 * cannot make a return precede its hand-over or a due date move backwards.
 */
export function stepTime(loan: LoanRow, now: Date): Date {
  return now < loan.updated_at ? new Date(loan.updated_at) : now;
}

/** The Beijing calendar day `days` after `date` (ISO dates). */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

export const today = (at: Date) => beijingDate(at);

/** A free-text field, trimmed; refused under the field's own code (too long, control characters, an ID number). */
export function readText(
  value: string | undefined | null,
  what: string,
  max: number,
  code: ErrorCode = 'LOAN_PURPOSE_INVALID',
): string | null {
  const text = value?.trim() ?? '';
  if ([...text].length > max) throw invalid(code, `${what}最多${max}个字符`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid(code, `${what}含有控制字符`);
  refuseIdNumberInText(what, text);
  return text === '' ? null : text;
}

/** Whether the principal takes part in the loan as its borrower or the one who asked for it. */
export const ownLoan = (loan: LoanRow, principal: Principal) =>
  loan.requester_id === principal.userId || loan.borrower_id === principal.userId;

/** Who may see a loan: its own people, and those who approve or handle loans (scope is checked by the caller). */
export function mayView(loan: LoanRow, principal: Principal): boolean {
  return ownLoan(loan, principal) || can(principal, 'loan.handle') || can(principal, 'loan.approve');
}

export async function loanOrFail(db: Db, loanNo: string, forUpdate = false): Promise<LoanRow> {
  const loan = /^JY\d{4}-\d{6}$/.test(loanNo) ? await findLoan(db, loanNo, forUpdate) : undefined;
  if (!loan) throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo.slice(0, 40)} 不存在`);
  return loan;
}

export function stateMustBe(loan: LoanRow, states: readonly LoanState[], verb: string): void {
  if (!states.includes(loan.state))
    throw new YidangError(
      'LOAN_STATE',
      'conflict',
      `借阅单 ${loan.loan_no} ${LOAN_STATES[loan.state]}，不能${verb}`,
    );
}

/** The account that reads under the loan (the borrower, or for an outside party the staff member who asked). */
export const readerId = (loan: LoanRow) => loan.borrower_id ?? loan.requester_id;

/** Refuses a step for a borrower whose account was disabled since the request. */
export async function borrowerMustBeEnabled(db: Db, loan: LoanRow): Promise<void> {
  if (loan.borrower_id === null) return;
  const account = await accountOf(db, { id: loan.borrower_id });
  if (!account || account.disabled)
    throw new YidangError(
      'LOAN_BORROWER_DISABLED',
      'conflict',
      `借阅人 ${loan.borrower_username ?? ''} 的账户已停用，借阅单 ${loan.loan_no} 不能继续办理（可撤回或完结）`,
    );
}

/**
 * The loan as the principal may act on it: their own, or (approvers and archivists) one whose items
 * all lie in their scope. Anything else is not found, exactly as a number never issued, before any
 * state or kind is looked at — so a refusal never tells whether someone else's loan exists.
 */
export async function visibleLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  forUpdate = false,
): Promise<LoanRow> {
  const loan = await loanOrFail(db, loanNo, forUpdate);
  if (ownLoan(loan, principal)) return loan;
  if (mayView(loan, principal)) {
    const items = await loanItems(db, [loan.id]);
    const seen = await countInScope(
      db,
      items.map((item) => item.item_id),
      scopedQuery(await accessContextOf(db, principal)),
    );
    if (seen === items.length) return loan;
  }
  throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo.slice(0, 40)} 不存在`);
}
