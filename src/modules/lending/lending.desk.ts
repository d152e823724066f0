import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, accountOf, authorize, can, type Principal } from '../access/principal.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  addDays,
  borrowerMustBeEnabled,
  loanSubject,
  ownLoan,
  readText,
  stateMustBe,
  stepTime,
  today,
  visibleLoan,
} from './lending.common.js';
import { isReturnCondition, RETURN_CONDITIONS } from './lending.names.js';
import {
  closeItems,
  type LoanRow,
  loanItems,
  loanState,
  markHandedOver,
  markReturned,
  moveLoan,
} from './lending.repo.js';
import { grantsMissing, openLoan, readerOf } from './lending.service.js';
import { type LoanView, loanView } from './lending.view.js';

// 出库、续借、归还、完结: the archivist hands paper over and checks it back (pages and condition, item
// by item); an electronic loan or copy is opened for its days and ended by its borrower or the
// archivist. Each step moves the loan only from the state it was read in, inside one transaction
// with its event, so a second archivist's click on the same step finds nothing to do.

/** The sensitive items the loan's reader has no grant for (a disabled reader is refused before this). */
async function stillMissing(db: Db, loan: LoanRow, now: Date): Promise<string[]> {
  const reader = await readerOf(db, loan);
  // Fails closed: with no enabled reader (an outside party's registrar disabled since) nothing opens.
  if (!reader)
    throw new YidangError(
      'LOAN_BORROWER_DISABLED',
      'conflict',
      `借阅单 ${loan.loan_no} 的借阅人（或代外单位登记的人员）账户已停用或不存在，不能出库或开通`,
    );
  return grantsMissing(db, await accessContextOf(db, reader), loan, now);
}

/** The archivist's desk steps are never taken on one's own loan (the same as approving it). */
function notOwn(loan: LoanRow, principal: Principal, verb: string): void {
  if (ownLoan(loan, principal))
    throw new YidangError(
      'LOAN_OWN_HANDLING',
      'forbidden',
      `不能为本人申请或借阅的借阅单 ${loan.loan_no} 办理${verb}`,
    );
}

function grantRefusal(missing: readonly string[]): YidangError {
  return new YidangError(
    'LOAN_GRANT_REQUIRED',
    'forbidden',
    `以下敏感档案须先取得安全保密员的查阅授权（借阅人申请查阅授权并获批准后再办理）：${missing.slice(0, 5).join('、')}`,
  );
}

const isUniqueViolation = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';

/** 出库: the archivist confirms the paper left with the borrower; the due date counts from today. */
export async function handOver(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { pages?: Readonly<Record<string, number>> } = {},
  now = new Date(),
): Promise<LoanView> {
  authorize(principal, 'loan.handle');
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    notOwn(loan, principal, '出库');
    if (loan.kind !== 'paper')
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 不是实体借出，无需出库`);
    if (loan.state === 'on_loan' || loan.state === 'closed')
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已出库，不能重复出库`);
    stateMustBe(loan, ['approved'], '出库');
    await borrowerMustBeEnabled(trx, loan);
    const at = stepTime(loan, now);
    const missing = await stillMissing(trx, loan, at);
    if (missing.length > 0) throw grantRefusal(missing);
    const items = await loanItems(trx, [loan.id]);
    const pages = new Map<number, number>();
    for (const [code, count] of Object.entries(input.pages ?? {})) {
      const item = items.find((entry) => entry.archive_code === code);
      if (!item) throw invalid('LOAN_ITEMS_INVALID', `档号 ${code.slice(0, 60)} 不在借阅单 ${loanNo} 中`);
      if (!Number.isInteger(count) || count < 0 || count > 100_000)
        throw invalid('LOAN_RETURN_INVALID', '页数应为非负整数');
      pages.set(item.item_id, count);
    }
    const due = addDays(today(at), loan.days_approved ?? loan.days_requested);
    if (
      !(await moveLoan(
        trx,
        loan.id,
        { state: 'approved' },
        {
          state: 'on_loan',
          handed_over_by: principal.username,
          handed_over_at: at,
          due_on: due,
          updated_at: at,
        },
      ))
    )
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已出库，不能重复出库`);
    try {
      await markHandedOver(trx, loan.id, pages, at, principal.username);
    } catch (error) {
      // The paper of one of the items is out under another loan (loan_item_out decides).
      if (isUniqueViolation(error))
        throw new YidangError(
          'LOAN_ITEM_OUT',
          'conflict',
          `借阅单 ${loanNo} 中有档案的纸质原件已借出，尚未归还`,
        );
      throw error;
    }
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.handed_over',
      subject: loanSubject(loanNo),
      payload: { items: items.map((item) => item.archive_code), due },
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}

/** Opens an approved electronic loan or copy that could not open at approval (the grant came later). */
export async function openApproved(
  db: Db,
  principal: Principal,
  loanNo: string,
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    if (!ownLoan(loan, principal) && !can(principal, 'loan.handle'))
      throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo} 不存在`);
    if (loan.kind === 'paper')
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 是实体借出，须由档案员出库`);
    stateMustBe(loan, ['approved'], '开通');
    await borrowerMustBeEnabled(trx, loan);
    const at = stepTime(loan, now);
    const missing = await stillMissing(trx, loan, at);
    if (missing.length > 0) throw grantRefusal(missing);
    await openLoan(trx, loan, principal.username, at);
  });
  return loanView(db, principal, loanNo, now);
}

/** 续借: the borrower (or the archivist) moves the due date, within the rule's renewals, before it passes. */
export async function renewLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { days?: number } = {},
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    if (!ownLoan(loan, principal) && !can(principal, 'loan.handle'))
      throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo} 不存在`);
    stateMustBe(loan, ['on_loan'], '续借');
    if (loan.renewals >= loan.renewals_allowed)
      throw new YidangError(
        'LOAN_RENEWAL_LIMIT',
        'conflict',
        loan.renewals_allowed === 0
          ? `按借阅规则，借阅单 ${loanNo} 不能续借`
          : `借阅单 ${loanNo} 已续借 ${loan.renewals} 次，规则最多 ${loan.renewals_allowed} 次`,
      );
    const at = stepTime(loan, now);
    const from = loan.due_on as string;
    if (today(at) > from)
      throw new YidangError(
        'LOAN_OVERDUE',
        'conflict',
        `借阅单 ${loanNo} 已于 ${from} 到期，不能续借，请先归还`,
      );
    const days = input.days ?? loan.renewal_days;
    if (!Number.isInteger(days) || days < 1) throw invalid('LOAN_DAYS_INVALID', '续借天数应为正整数');
    if (days > loan.renewal_days)
      throw invalid('LOAN_RENEWAL_DAYS', `按借阅规则每次最多续借 ${loan.renewal_days} 天，申请了 ${days} 天`);
    await borrowerMustBeEnabled(trx, loan);
    const to = addDays(from, days);
    const renewal = loan.renewals + 1;
    if (
      !(await moveLoan(trx, loan.id, { state: 'on_loan' }, { due_on: to, renewals: renewal, updated_at: at }))
    )
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 的状态已变化，请刷新`);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.renewed',
      subject: loanSubject(loanNo),
      payload: { from, to, renewal },
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}

export interface ReturnInput {
  /** 档号; absent: every item still out. */
  items?: readonly string[];
  pages?: number | null;
  condition: string;
  damage?: string | null;
}

/**
 * 归还: the archivist checks what came back (pages, condition, damage or missing pages); when the
 * last item is back the loan is 完结 with its 实还日, its 应还日 left as it was.
 */
export async function returnLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: ReturnInput,
  now = new Date(),
): Promise<LoanView> {
  authorize(principal, 'loan.handle');
  const condition = input.condition;
  if (!isReturnCondition(condition))
    throw invalid('LOAN_RETURN_INVALID', `归还状况应为 ${Object.values(RETURN_CONDITIONS).join('、')}`);
  const damage = readText(input.damage, '损坏情况', 200, 'LOAN_RETURN_INVALID');
  if (condition !== 'intact' && !damage)
    throw invalid('LOAN_RETURN_INVALID', `归还状况为${RETURN_CONDITIONS[condition]}时，请写明损坏或缺页情况`);
  const pages = input.pages ?? null;
  if (pages !== null && (!Number.isInteger(pages) || pages < 0 || pages > 100_000))
    throw invalid('LOAN_RETURN_INVALID', '归还页数应为非负整数');
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    notOwn(loan, principal, '归还');
    if (loan.kind !== 'paper')
      throw invalid(
        'LOAN_ITEM_NOT_LENT',
        `借阅单 ${loanNo} 不是实体借出，没有要归还的纸质档案（电子借阅请用“完结”）`,
      );
    if (loan.state === 'closed')
      throw new YidangError('LOAN_ALREADY_RETURNED', 'conflict', `借阅单 ${loanNo} 已全部归还`);
    if (loan.state !== 'on_loan') throw invalid('LOAN_ITEM_NOT_LENT', `借阅单 ${loanNo} 尚未出库，无从归还`);
    const items = await loanItems(trx, [loan.id]);
    const codes =
      input.items && input.items.length > 0 ? [...new Set(input.items.map((code) => code.trim()))] : null;
    const chosen = codes
      ? codes.map((code) => {
          const item = items.find((entry) => entry.archive_code === code);
          if (!item || item.handed_over_at === null)
            throw invalid(
              'LOAN_ITEM_NOT_LENT',
              `档号 ${code.slice(0, 60)} 不在借阅单 ${loanNo} 的借出之列，无从归还`,
            );
          if (item.returned_at !== null)
            throw new YidangError(
              'LOAN_ALREADY_RETURNED',
              'conflict',
              `档号 ${code} 已于此前归还，不能重复确认`,
            );
          return item;
        })
      : items.filter((item) => item.handed_over_at !== null && item.returned_at === null);
    if (chosen.length === 0)
      throw new YidangError('LOAN_ALREADY_RETURNED', 'conflict', `借阅单 ${loanNo} 已全部归还`);
    if (pages !== null && chosen.length > 1)
      throw invalid('LOAN_RETURN_INVALID', '登记页数时请逐件归还（每次一个档号）');
    const out = chosen[0]?.pages_out ?? null;
    if (pages !== null && out !== null && pages < out && condition !== 'pages_missing')
      throw invalid('LOAN_RETURN_INVALID', `出库时 ${out} 页，归还 ${pages} 页：请登记为缺页并写明缺少的页`);
    const at = stepTime(loan, now);
    const returned = await markReturned(
      trx,
      loan.id,
      chosen.map((item) => item.item_id),
      { at, by: principal.username, pages, condition, damage },
    );
    // Another archivist confirmed the same items first (their transaction held the loan's row).
    if (returned.length < chosen.length)
      throw new YidangError('LOAN_ALREADY_RETURNED', 'conflict', `借阅单 ${loanNo} 的归还已由他人确认`);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.returned',
      subject: loanSubject(loanNo),
      payload: {
        items: chosen.map((item) => item.archive_code),
        pages,
        condition,
        ...(damage ? { damage } : {}),
      },
      state: await loanState(trx, loan.id),
    });
    const left = (await loanItems(trx, [loan.id])).filter((item) => item.returned_at === null);
    if (left.length === 0) await close(trx, loan.id, loanNo, principal.username, at, 'returned');
  });
  return loanView(db, principal, loanNo, now);
}

async function close(
  trx: Db,
  id: number,
  loanNo: string,
  actor: string,
  at: Date,
  reason: 'returned' | 'ended' | 'borrower_disabled',
): Promise<void> {
  const returnedOn = today(at);
  if (
    !(await moveLoan(
      trx,
      id,
      { state: 'on_loan' },
      { state: 'closed', returned_on: returnedOn, returned_by: actor, closed_at: at, updated_at: at },
    ))
  )
    throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 的状态已变化，请刷新`);
  await closeItems(trx, id);
  recordEvent(trx, {
    actor,
    action: 'loan.closed',
    subject: loanSubject(loanNo),
    payload: { returnedOn, reason },
    state: await loanState(trx, id),
  });
}

/** 完结 an electronic loan or copy before (or after) its due date: the borrower or the archivist. */
export async function endLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    if (!ownLoan(loan, principal) && !can(principal, 'loan.handle'))
      throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo} 不存在`);
    if (loan.kind === 'paper')
      throw new YidangError(
        'LOAN_STATE',
        'conflict',
        `借阅单 ${loanNo} 是实体借出，须由档案员核对归还后完结`,
      );
    stateMustBe(loan, ['on_loan'], '完结');
    const borrower = loan.borrower_id === null ? undefined : await accountOf(trx, { id: loan.borrower_id });
    const reason = borrower?.disabled ? 'borrower_disabled' : 'ended';
    await close(trx, loan.id, loanNo, principal.username, stepTime(loan, now), reason);
  });
  return loanView(db, principal, loanNo, now);
}
