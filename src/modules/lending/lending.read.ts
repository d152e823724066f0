import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { logEvent } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { type AttachedFile, listFiles } from '../storage/file.service.js';
import { type DeliveredCopy, deliverFile } from '../watermark/delivery.service.js';
import { loanSubject, readerId, today, visibleLoan } from './lending.common.js';
import { type LoanRow, loanItems } from './lending.repo.js';

// Reading under an electronic loan (电子阅览) or taking its copy (复制): checked on every read — the
// reader is the borrower, the item is in the loan, the loan is open and its due date has not passed
// (Beijing day) — then delivered by watermark's one path, with the loan number on the watermark, and
// logged as loan.read / loan.copied beside the file.read the delivery records. Scope and the
// 安全保密员's grant still hold: the read runs in the borrower's own access context.

async function openLoanItem(
  db: Db,
  principal: Principal,
  loanNo: string,
  archiveCode: string,
  now: Date,
): Promise<LoanRow> {
  const loan = await visibleLoan(db, principal, loanNo);
  if (readerId(loan) !== principal.userId)
    throw new YidangError('LOAN_NOT_BORROWER', 'forbidden', `只有借阅人本人可以在借阅单 ${loanNo} 下阅览`);
  if (loan.kind === 'paper')
    throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 是实体借出，不能在系统中阅览`);
  if (loan.state !== 'on_loan')
    throw new YidangError(
      loan.state === 'closed' ? 'LOAN_EXPIRED' : 'LOAN_STATE',
      'forbidden',
      loan.state === 'closed' ? `借阅单 ${loanNo} 已完结，不能再阅览` : `借阅单 ${loanNo} 尚未开通`,
    );
  if (!loan.due_on || today(now) > loan.due_on)
    throw new YidangError(
      'LOAN_EXPIRED',
      'forbidden',
      `借阅单 ${loanNo} 已于 ${loan.due_on} 到期，不能再阅览`,
    );
  const items = await loanItems(db, [loan.id]);
  if (!items.some((item) => item.archive_code === archiveCode))
    throw new YidangError(
      'LOAN_ITEM_NOT_LENT',
      'not_found',
      `档号 ${archiveCode.slice(0, 60)} 不在借阅单 ${loanNo} 中`,
    );
  return loan;
}

/** The files of a lent item, as the borrower may list them while the loan is open. */
export async function loanFiles(
  db: Db,
  principal: Principal,
  loanNo: string,
  archiveCode: string,
  now = new Date(),
): Promise<AttachedFile[]> {
  await openLoanItem(db, principal, loanNo, archiveCode, now);
  return listFiles(db, archiveCode, await accessContextOf(db, principal));
}

export async function readUnderLoan(
  db: Db,
  store: BlobStore,
  principal: Principal,
  target: { loanNo: string; archiveCode: string; fileNumber: number },
  now = new Date(),
): Promise<DeliveredCopy & { loanNo: string }> {
  const loan = await openLoanItem(db, principal, target.loanNo, target.archiveCode, now);
  const copy = await deliverFile(
    { db, store, access: await accessContextOf(db, principal) },
    target.archiveCode,
    target.fileNumber,
    { username: principal.username, displayName: principal.displayName },
    // The loan number leads the purpose line, so every marked page names the loan it was read under.
    { purpose: `借阅单${loan.loan_no} ${loan.purpose}`, now, loan: loan.loan_no },
  );
  if (loan.kind === 'copy')
    await logEvent(db, {
      actor: principal.username,
      action: 'loan.copied',
      subject: loanSubject(loan.loan_no),
      payload: { item: target.archiveCode, file: target.fileNumber, copyCode: copy.traceId },
    });
  else
    await logEvent(db, {
      actor: principal.username,
      action: 'loan.read',
      subject: loanSubject(loan.loan_no),
      payload: { item: target.archiveCode, file: target.fileNumber },
    });
  return { ...copy, loanNo: loan.loan_no };
}
