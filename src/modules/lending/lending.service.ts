import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { PrincipalContext } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, accountOf, authorize, type Principal } from '../access/principal.js';
import { ROLES } from '../access/roles.js';
import { countInScope, findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  addDays,
  borrowerMustBeEnabled,
  loanOrFail,
  loanSubject,
  ownLoan,
  readerId,
  readText,
  stateMustBe,
  stepTime,
  today,
  visibleLoan,
} from './lending.common.js';
import { closeItems, type LoanRow, loanItems, loanState, moveLoan } from './lending.repo.js';
import { type LoanView, loanView } from './lending.view.js';

// 借阅申请与审批: a request names the items, the kind of use, the purpose, the borrower and the days;
// the rules of its items fix how long it may be, who approves at each of one or two levels and
// whether paper may leave. Nobody approves their own request. An approved electronic loan or copy
// opens at once when nothing stands in the way (a sensitive item needs the 安全保密员's grant first).

/** Refuses an approver who may not decide this level of this loan. */
async function checkApprover(db: Db, principal: Principal, loan: LoanRow): Promise<1 | 2> {
  authorize(principal, 'loan.approve');
  if (ownLoan(loan, principal))
    throw new YidangError('LOAN_OWN_APPROVAL', 'forbidden', '不能审批本人申请或本人借阅的借阅单');
  const items = await loanItems(db, [loan.id]);
  const seen = await countInScope(
    db,
    items.map((item) => item.item_id),
    scopedQuery(await accessContextOf(db, principal)),
  );
  if (seen < items.length) throw notFound('LOAN_NOT_FOUND', `借阅单 ${loan.loan_no} 不存在`);
  const level = loan.approved_level === 0 ? 1 : 2;
  if (level === 2 && loan.level1_by === principal.username)
    throw new YidangError('LOAN_OWN_APPROVAL', 'forbidden', '一级审批人不能再作二级审批');
  const roles = level === 1 ? loan.level1_roles : loan.level2_roles;
  if (!principal.roles.some((role) => roles.includes(role)))
    throw new YidangError(
      'LOAN_APPROVER_ROLE',
      'forbidden',
      `第${level === 1 ? '一' : '二'}级审批须由${roles.map((role) => ROLES[role as keyof typeof ROLES] ?? role).join('或')}办理`,
    );
  return level;
}

/** The sensitive items of the loan its reader (in their own access context) holds no grant in force for. */
export async function grantsMissing(
  db: Db,
  reader: PrincipalContext,
  loan: LoanRow,
  now: Date,
): Promise<string[]> {
  const items = await loanItems(db, [loan.id]);
  const all = await findItemsByCodes(
    db,
    items.map((item) => item.archive_code),
    scopedQuery(reader),
  );
  const sensitive = all.filter((item) => item.sensitivity !== 'normal');
  if (sensitive.length === 0) return [];
  const granted = new Set(await reader.grants.itemIds(db, now));
  return sensitive.filter((item) => !granted.has(item.id)).map((item) => item.archiveCode);
}

/** grantsMissing for the loan's own reader (none when the account is gone or disabled: refused elsewhere). */
async function stillMissing(db: Db, loan: LoanRow, now: Date): Promise<string[]> {
  const reader = await readerOf(db, loan);
  return reader ? grantsMissing(db, await accessContextOf(db, reader), loan, now) : [];
}

/** The account that reads under the loan, while it is enabled. */
export async function readerOf(db: Db, loan: LoanRow): Promise<Principal | undefined> {
  return (await accountOf(db, { id: readerId(loan) }))?.principal;
}

/** Opens an approved electronic loan or copy for its days (inside the caller's transaction). */
export async function openLoan(trx: Db, loan: LoanRow, actor: string, at: Date): Promise<void> {
  const days = loan.days_approved ?? loan.days_requested;
  const due = addDays(today(at), days);
  if (
    !(await moveLoan(
      trx,
      loan.id,
      { state: 'approved' },
      { state: 'on_loan', handed_over_by: actor, handed_over_at: at, due_on: due, updated_at: at },
    ))
  )
    throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loan.loan_no} 已开通`);
  const items = await loanItems(trx, [loan.id]);
  recordEvent(trx, {
    actor,
    action: 'loan.opened',
    subject: loanSubject(loan.loan_no),
    payload: { items: items.map((item) => item.archive_code), due },
    state: await loanState(trx, loan.id),
  });
}

export async function approveLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { days?: number } = {},
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    stateMustBe(loan, ['requested'], '审批');
    const level = await checkApprover(trx, principal, loan);
    const asked = loan.days_approved ?? loan.days_requested;
    const days = input.days ?? asked;
    if (!Number.isInteger(days) || days < 1) throw invalid('LOAN_DAYS_INVALID', '批准天数应为正整数');
    if (days > asked)
      throw invalid('LOAN_DAYS_EXCEEDED', `批准天数不能超过申请（或上一级批准）的 ${asked} 天`);
    const at = stepTime(loan, now);
    const final = level === loan.approval_levels;
    const moved = await moveLoan(
      trx,
      loan.id,
      { state: 'requested', approvedLevel: loan.approved_level },
      {
        approved_level: level,
        days_approved: days,
        ...(level === 1
          ? { level1_by: principal.username, level1_at: at }
          : { level2_by: principal.username, level2_at: at }),
        ...(final ? { state: 'approved' as const } : {}),
        updated_at: at,
      },
    );
    if (!moved) throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已由他人审批`);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.approved',
      subject: loanSubject(loanNo),
      payload: { level, days },
      state: await loanState(trx, loan.id),
    });
    if (final && loan.kind !== 'paper') {
      const approved = await loanOrFail(trx, loanNo);
      const enabled = await borrowerMustBeEnabled(trx, approved).then(
        () => true,
        () => false,
      );
      if (enabled && (await stillMissing(trx, approved, at)).length === 0)
        await openLoan(trx, approved, principal.username, at);
    }
  });
  return loanView(db, principal, loanNo, now);
}

export async function rejectLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { reason: string },
  now = new Date(),
): Promise<LoanView> {
  const reason = readText(input.reason, '驳回理由', 200, 'LOAN_REASON_INVALID');
  if (!reason) throw invalid('LOAN_REASON_REQUIRED', '驳回借阅须说明理由');
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    stateMustBe(loan, ['requested'], '驳回');
    const level = await checkApprover(trx, principal, loan);
    const at = stepTime(loan, now);
    const moved = await moveLoan(
      trx,
      loan.id,
      { state: 'requested', approvedLevel: loan.approved_level },
      {
        state: 'rejected',
        rejected_by: principal.username,
        rejected_at: at,
        reject_reason: reason,
        closed_at: at,
        updated_at: at,
      },
    );
    if (!moved) throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已由他人审批`);
    await closeItems(trx, loan.id);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.rejected',
      subject: loanSubject(loanNo),
      payload: { level, reason },
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}

/** The one who asked (or the borrower) takes a request back before anything left the store room. */
export async function withdrawLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    if (!ownLoan(loan, principal)) throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo} 不存在`);
    stateMustBe(loan, ['requested', 'approved'], '撤回');
    const at = stepTime(loan, now);
    if (
      !(await moveLoan(
        trx,
        loan.id,
        { state: loan.state },
        { state: 'withdrawn', closed_at: at, updated_at: at },
      ))
    )
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 的状态已变化，请刷新`);
    await closeItems(trx, loan.id);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.withdrawn',
      subject: loanSubject(loanNo),
      payload: {},
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}
