import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { beijingDate } from '../../shared/beijing-time.js';
import type { SystemContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { type ScopedHolder, scopedHolders } from '../access/holders.queries.js';
import { itemCodeWithin } from '../catalog/item.queries.js';
import { sendNotice } from '../notices/notice.service.js';
import { LOAN_KINDS } from './lending.names.js';
import type { LoanKind } from './lending.tables.js';
import {
  claimReminder,
  countRecipients,
  dueForReminder,
  itemsWithin,
  type ReminderCandidate,
} from './reminder.repo.js';

// Loan reminders (到期提醒): on each offset of a loan's 应还日 (by default T−3, T and T+7, Beijing
// days) its reader gets a notice in the console inbox (and the mail/SMS hook, if configured); past
// the due date the archivists who handle loans are told too — only those whose scope covers an item
// of the loan. Each reminder is sent once per loan, offset and due date — the loan_reminder row
// claimed in the notices' own transaction is the idempotency key — so a run repeated, a second
// server, or a clock that jumps back sends nothing twice.
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

function staffNotice(loan: ReminderCandidate, offset: number, itemsInScope: number) {
  // The outside party by its organisation, a staff borrower by account: never an insured person's name.
  // The items counted are those of the recipient's scope only: of the rest they are told nothing.
  const borrower = loan.borrowerOrg ?? loan.readerName;
  return {
    kind: 'loan.overdue_staff',
    title: '借阅逾期待催还',
    text: `借阅单 ${loan.loanNo}（借阅人 ${borrower}，${itemsInScope} 件）应还日为 ${loan.dueOn}，已逾期 ${offset} 天。`,
  };
}

export interface ReminderRun {
  /** Reminders sent, by offset. */
  sent: Record<string, number>;
  notices: number;
  /** Loans whose reminder could not be sent (left unclaimed: the next run tries again). */
  failed: Array<{ loanNo: string; offset: number; code: string }>;
}

export interface ReminderOptions {
  offsets: readonly number[];
  /** Whether a delivery hook is configured (config.notices). */
  deliver: boolean;
  now?: Date;
}

interface Send {
  offset: number;
  deliver: boolean;
  now: Date;
  /** The loan.handle holders told of an overdue loan, each with its items in their scope by loan id. */
  staff: Array<{ userId: number; username: string; items: Map<number, number> }>;
}

/** One loan's reminder in the caller's transaction: the number of recipients, or undefined when claimed already. */
async function remindLoan(trx: Db, loan: ReminderCandidate, send: Send): Promise<number | undefined> {
  const { offset, now } = send;
  if (!(await claimReminder(trx, loan.id, offset, loan.dueOn, now))) return undefined;
  const base = { about: `loan:${loan.loanNo}`, key: `loan-reminder:${loan.loanNo}:${loan.dueOn}:${offset}` };
  const options = { actor: REMINDER_ACTOR, deliver: send.deliver, now };
  let recipients = 0;
  const reader = { ...borrowerNotice(loan, offset), ...base, link: '/lending/mine' };
  if (
    await sendNotice(trx, { ...reader, recipientId: loan.readerId, recipientName: loan.readerName }, options)
  )
    recipients++;
  if (offset > 0)
    for (const archivist of send.staff) {
      // Only those whose scope covers an item of the loan hear of it (the reader is told already).
      const items = archivist.items.get(loan.id) ?? 0;
      if (items === 0 || archivist.userId === loan.readerId) continue;
      const notice = { ...staffNotice(loan, offset, items), ...base, link: '/lending/overdue' };
      if (
        await sendNotice(
          trx,
          { ...notice, recipientId: archivist.userId, recipientName: archivist.username },
          options,
        )
      )
        recipients++;
    }
  await countRecipients(trx, loan.id, offset, loan.dueOn, recipients);
  return recipients;
}

const errorCode = (error: unknown) =>
  error instanceof YidangError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';

/**
 * Sends every reminder due at `now` (Beijing day) that has not been sent; safe to run at any time, often.
 * Only the system runs it: it reads every loan and which archivists' scopes cover their items.
 */
export async function runLoanReminders(
  db: Db,
  _access: SystemContext,
  options: ReminderOptions,
): Promise<ReminderRun> {
  const now = options.now ?? new Date();
  const today = beijingDate(now);
  const offsets = [...new Set(options.offsets)].sort((a, b) => a - b);
  const run: ReminderRun = { sent: {}, notices: 0, failed: [] };
  let holders: ScopedHolder[] | undefined;
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
    const failed: number[] = [];
    const done = (recipients: number | undefined) => {
      if (recipients === undefined) return;
      run.sent[String(offset)] = (run.sent[String(offset)] ?? 0) + 1;
      run.notices += recipients;
    };
    for (;;) {
      const loans = await dueForReminder(db, window, BATCH, failed);
      if (loans.length === 0) break;
      const send: Send = { offset, deliver: options.deliver, now, staff: [] };
      if (offset > 0) {
        holders ??= await scopedHolders(db, 'loan.handle');
        const ids = loans.map((loan) => loan.id);
        for (const holder of holders)
          send.staff.push({
            userId: holder.userId,
            username: holder.username,
            items: await itemsWithin(db, ids, (archiveCode) => itemCodeWithin(archiveCode, holder.scope)),
          });
      }
      try {
        // The batch in one transaction; counted once it committed.
        const results = await inTransaction(db, async (trx) => {
          const sent: Array<number | undefined> = [];
          for (const loan of loans) sent.push(await remindLoan(trx, loan, send));
          return sent;
        });
        results.forEach(done);
      } catch {
        // One loan that cannot be reminded (its notice refused) must not hold back the others: the
        // batch again, a transaction per loan; a failing loan is reported and left for the next run.
        for (const loan of loans)
          try {
            done(await inTransaction(db, (trx) => remindLoan(trx, loan, send)));
          } catch (error) {
            failed.push(loan.id);
            run.failed.push({ loanNo: loan.loanNo, offset, code: errorCode(error) });
          }
      }
      // A batch whose loans were all claimed meanwhile (another server) still ends the loop: the
      // query leaves them out from now on.
      if (loans.length < BATCH) break;
    }
  }
  return run;
}
