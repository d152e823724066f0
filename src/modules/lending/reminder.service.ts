import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { accountsHolding } from '../access/holders.queries.js';
import { sendNotice } from '../notices/notice.service.js';
import { LOAN_KINDS } from './lending.names.js';
import type { LoanKind } from './lending.tables.js';
import { claimReminder, countRecipients, dueForReminder, type ReminderCandidate } from './reminder.repo.js';

// Loan reminders (到期提醒): on each offset of a loan's 应还日 (by default T−3, T and T+7, Beijing
// days) its reader gets a notice in the console inbox (and the mail/SMS hook, if configured); past
// the due date the archivists who handle loans are told too. Each reminder is sent once per loan,
// offset and due date — the loan_reminder row claimed in the notices' own transaction is the
// idempotency key — so a run repeated, a second server, or a clock that jumps back sends nothing twice.
// A loan only gets the latest offset it has reached: a server off for a week sends T+7, not T−3 too.

export const REMINDER_ACTOR = 'system:reminders';
/** Loans reminded of in one transaction. */
const BATCH = 100;

/** The Beijing calendar day `days` after the ISO date `date`. */
export function shiftDate(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Electronic reading stops at the due date: its reader is told before, never "overdue"; copies are not reminded. */
const kindsAt = (offset: number): LoanKind[] => (offset > 0 ? ['paper'] : ['paper', 'electronic']);

function borrowerNotice(loan: ReminderCandidate, offset: number) {
  const what = `借阅单 ${loan.loanNo}（${LOAN_KINDS[loan.kind]}，${loan.items} 件）`;
  const paper = loan.kind === 'paper';
  if (offset < 0)
    return {
      kind: 'loan.due_soon',
      title: '借阅即将到期',
      text: `${what}将于 ${loan.dueOn} 到期，还有 ${-offset} 天。${paper ? '请按时归还或申请续借。' : '到期后将不能再阅览，如需继续请申请续借。'}`,
    };
  if (offset === 0)
    return {
      kind: 'loan.due_today',
      title: '借阅今日到期',
      text: `${what}今天（${loan.dueOn}）到期。${paper ? '请今天归还或申请续借。' : '今天之后将不能再阅览。'}`,
    };
  return {
    kind: 'loan.overdue',
    title: '借阅已逾期',
    text: `${what}应还日为 ${loan.dueOn}，已逾期 ${offset} 天，请尽快归还档案室。`,
  };
}

function staffNotice(loan: ReminderCandidate, offset: number) {
  // The outside party by its organisation, a staff borrower by account: never an insured person's name.
  const borrower = loan.borrowerOrg ?? loan.readerName;
  return {
    kind: 'loan.overdue_staff',
    title: '借阅逾期待催还',
    text: `借阅单 ${loan.loanNo}（借阅人 ${borrower}，${loan.items} 件）应还日为 ${loan.dueOn}，已逾期 ${offset} 天。`,
  };
}

export interface ReminderRun {
  /** Reminders sent, by offset. */
  sent: Record<string, number>;
  notices: number;
}

export interface ReminderOptions {
  offsets: readonly number[];
  /** Whether a delivery hook is configured (config.notices). */
  deliver: boolean;
  now?: Date;
}

/** Sends every reminder due at `now` (Beijing day) that has not been sent; safe to run at any time, often. */
export async function runLoanReminders(db: Db, options: ReminderOptions): Promise<ReminderRun> {
  const now = options.now ?? new Date();
  const today = beijingDate(now);
  const offsets = [...new Set(options.offsets)].sort((a, b) => a - b);
  const run: ReminderRun = { sent: {}, notices: 0 };
  let staff: Awaited<ReturnType<typeof accountsHolding>> | undefined;
  for (const [index, offset] of offsets.entries()) {
    const next = offsets[index + 1];
    // Due dates at this offset today or earlier, and not yet at the next offset.
    const window = {
      offset,
      upTo: shiftDate(today, -offset),
      after: next === undefined ? null : shiftDate(today, -next),
      kinds: kindsAt(offset),
    };
    run.sent[String(offset)] = 0;
    for (;;) {
      const loans = await dueForReminder(db, window, BATCH);
      if (loans.length === 0) break;
      if (offset > 0) staff ??= await accountsHolding(db, 'loan.handle');
      const archivists = staff ?? [];
      await inTransaction(db, async (trx) => {
        for (const loan of loans) {
          if (!(await claimReminder(trx, loan.id, offset, loan.dueOn, now))) continue;
          const base = {
            about: `loan:${loan.loanNo}`,
            key: `loan-reminder:${loan.loanNo}:${loan.dueOn}:${offset}`,
          };
          const send = { actor: REMINDER_ACTOR, deliver: options.deliver, now };
          let recipients = 0;
          const reader = borrowerNotice(loan, offset);
          if (
            await sendNotice(
              trx,
              {
                ...reader,
                ...base,
                recipientId: loan.readerId,
                recipientName: loan.readerName,
                link: '/lending/mine',
              },
              send,
            )
          )
            recipients++;
          if (offset > 0)
            for (const archivist of archivists.filter((one) => one.userId !== loan.readerId)) {
              const notice = { ...staffNotice(loan, offset), ...base, link: '/lending/overdue' };
              if (
                await sendNotice(
                  trx,
                  { ...notice, recipientId: archivist.userId, recipientName: archivist.username },
                  send,
                )
              )
                recipients++;
            }
          await countRecipients(trx, loan.id, offset, loan.dueOn, recipients);
          run.sent[String(offset)] = (run.sent[String(offset)] ?? 0) + 1;
          run.notices += recipients;
        }
      });
      // A batch whose loans were all claimed meanwhile (another server) still ends the loop: the
      // query leaves them out from now on.
      if (loans.length < BATCH) break;
    }
  }
  return run;
}
