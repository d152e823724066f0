import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { describe, expect, it } from 'vitest';
import { validId } from '../../../test/helpers/fixtures.js';
import {
  BUSINESS,
  code,
  db,
  EVERYTHING,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import type { Principal } from '../access/principal.js';
import { setDisabled } from '../access/user.service.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import { myNotices } from '../notices/notice.service.js';
import type { LoanKind } from './lending.tables.js';
import { LOAN_REMINDERS_JOB, loanRemindersJob } from './reminder.job.js';
import { runLoanReminders, shiftDate } from './reminder.service.js';

// Loan reminders with an injected clock (the services' `now`, the job runtime's clock): T−3, T and
// T+7 against the 应还日 in Beijing days, each once per loan, offset and due date — again after a
// renewal — to the borrower, and past due to the archivists; a server off for days sends the latest
// offset only; a clock jumping back, a second run at once or a returned loan sends nothing more.

useGrantDatabase();

const OFFSETS = [-3, 0, 7];
/** 09:00 Beijing on the ISO date. */
const at = (date: string) => new Date(`${date}T01:00:00Z`);
const D = '2026-12-10';

let serial = 0;
async function loanOnLoan(
  borrower: Principal,
  dueOn: string,
  kind: LoanKind = 'paper',
  codes: string[] = [code.normal],
): Promise<{ id: number; no: string }> {
  serial += 1;
  const no = `JY2026-9${String(serial).padStart(5, '0')}`;
  const { id } = await db()
    .insertInto('loan')
    .values({
      loan_no: no,
      kind,
      requester_id: borrower.userId,
      requested_by: borrower.username,
      borrower_id: borrower.userId,
      borrower_username: borrower.username,
      purpose: '审计核对报销凭证',
      days_requested: 10,
      days_approved: 10,
      state: 'on_loan',
      approval_levels: 1,
      level1_roles: ['archivist'],
      level2_roles: ['manager'],
      renewals_allowed: 1,
      renewal_days: 10,
      due_on: dueOn,
      created_at: at(shiftDate(dueOn, -10)),
      updated_at: at(shiftDate(dueOn, -10)),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const archiveCode of codes) {
    const item = await db()
      .selectFrom('archive_item')
      .select('id')
      .where('archive_code', '=', archiveCode)
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('loan_item')
      .values({ loan_id: id, item_id: item.id, archive_code: archiveCode })
      .execute();
  }
  return { id, no };
}

const remindersOf = async (loanNo: string) =>
  (
    await db()
      .selectFrom('notice')
      .select(['recipient_name', 'kind', 'body', 'dedupe_key'])
      .where('about', '=', `loan:${loanNo}`)
      .orderBy('id')
      .execute()
  ).map((row) => `${row.recipient_name} ${row.kind} ${row.dedupe_key?.split(':').slice(-1)[0]}`);

const run = (date: string, offsets = OFFSETS) =>
  runLoanReminders(db(), SYSTEM, { offsets, deliver: false, now: at(date) });

describe('loan reminders', () => {
  it('reminds the borrower at T−3 and T, and borrower and archivists at T+7, each once', async () => {
    const borrower = await user(['clerk']);
    const archivist = await user(['archivist'], EVERYTHING);
    const retired = await user(['archivist'], EVERYTHING);
    await setDisabled(db(), retired.username, true, 'test');
    const due = shiftDate(D, 3);
    const loan = await loanOnLoan(borrower, due);

    await run(shiftDate(D, -1));
    expect(await remindersOf(loan.no)).toEqual([]);
    await run(D);
    expect(await remindersOf(loan.no)).toEqual([`${borrower.username} loan.due_soon -3`]);
    const inbox = await myNotices(db(), borrower);
    expect(inbox.notices[0]).toMatchObject({
      kind: 'loan.due_soon',
      title: '借阅即将到期',
      text: `借阅单 ${loan.no}（实体借出，1 件）将于 ${due} 到期，还有 3 天。请按时归还或申请续借。`,
      link: '/lending/mine',
    });
    // Run again the same day, and the next: nothing new.
    await run(D);
    await run(shiftDate(D, 1));
    expect(await remindersOf(loan.no)).toHaveLength(1);

    await run(due);
    await run(shiftDate(due, 6));
    expect(await remindersOf(loan.no)).toEqual([
      `${borrower.username} loan.due_soon -3`,
      `${borrower.username} loan.due_today 0`,
    ]);
    await run(shiftDate(due, 7));
    const all = await remindersOf(loan.no);
    expect(all.slice(2)).toContain(`${borrower.username} loan.overdue 7`);
    expect(all.slice(2)).toContain(`${archivist.username} loan.overdue_staff 7`);
    // A disabled archivist is not told.
    expect(all.join('\n')).not.toContain(retired.username);
    const staffInbox = await myNotices(db(), archivist);
    expect(staffInbox.notices.find((n) => n.about === `loan:${loan.no}`)).toMatchObject({
      title: '借阅逾期待催还',
      text: `借阅单 ${loan.no}（借阅人 ${borrower.username}，1 件）应还日为 ${due}，已逾期 7 天。`,
      link: '/lending/overdue',
    });

    // The clock jumps back to the due date, then forward again: nothing is sent twice.
    const count = all.length;
    await run(due);
    await run(shiftDate(due, 30));
    expect(await remindersOf(loan.no)).toHaveLength(count);
    const rows = await db()
      .selectFrom('loan_reminder')
      .selectAll()
      .where('loan_id', '=', loan.id)
      .orderBy('offset_days')
      .execute();
    expect(rows.map((row) => [row.offset_days, row.due_on])).toEqual([
      [-3, due],
      [0, due],
      [7, due],
    ]);
    expect(rows[2]?.recipients).toBe(count - 2);
  });

  it('sends only the latest offset reached to a loan found late, and reminds a renewed loan again', async () => {
    const borrower = await user(['clerk']);
    const late = await loanOnLoan(borrower, shiftDate(D, -20));
    const soon = await loanOnLoan(borrower, shiftDate(D, 1));
    await run(D);
    expect(await remindersOf(late.no)).toContain(`${borrower.username} loan.overdue 7`);
    expect((await remindersOf(late.no)).join('\n')).not.toMatch(/due_soon|due_today/);
    expect(await remindersOf(soon.no)).toEqual([`${borrower.username} loan.due_soon -3`]);

    // Renewed before its due date: the new 应还日 gets its own reminders.
    const renewed = shiftDate(D, 11);
    await db().updateTable('loan').set({ due_on: renewed, renewals: 1 }).where('id', '=', soon.id).execute();
    await run(shiftDate(D, 1));
    expect(await remindersOf(soon.no)).toHaveLength(1);
    await run(shiftDate(renewed, -3));
    expect(await remindersOf(soon.no)).toEqual([
      `${borrower.username} loan.due_soon -3`,
      `${borrower.username} loan.due_soon -3`,
    ]);
    const keys = await db()
      .selectFrom('notice')
      .select('dedupe_key')
      .where('about', '=', `loan:${soon.no}`)
      .execute();
    expect(new Set(keys.map((k) => k.dedupe_key)).size).toBe(2);
  });

  it('tells an electronic reader before the due date but never calls it overdue; a returned loan gets nothing', async () => {
    const borrower = await user(['clerk']);
    const reading = await loanOnLoan(borrower, shiftDate(D, 3), 'electronic');
    const returned = await loanOnLoan(borrower, shiftDate(D, 3));
    await db()
      .updateTable('loan')
      .set({ state: 'closed', returned_on: D })
      .where('id', '=', returned.id)
      .execute();
    await run(D);
    await run(shiftDate(D, 3));
    await run(shiftDate(D, 20));
    expect(await remindersOf(reading.no)).toEqual([
      `${borrower.username} loan.due_soon -3`,
      `${borrower.username} loan.due_today 0`,
    ]);
    expect(
      (await myNotices(db(), borrower)).notices.find((n) => n.about === `loan:${reading.no}`)?.text,
    ).toContain('今天之后将不能再阅览');
    expect(await remindersOf(returned.no)).toEqual([]);
  });

  it('sends each reminder once when two runs race (two servers)', async () => {
    const borrower = await user(['clerk']);
    const loans = [];
    for (let n = 0; n < 5; n++) loans.push(await loanOnLoan(borrower, shiftDate(D, 40)));
    const day = shiftDate(D, 37);
    const [a, b] = await Promise.all([run(day), run(day)]);
    expect((a.sent['-3'] ?? 0) + (b.sent['-3'] ?? 0)).toBe(5);
    for (const loan of loans) expect(await remindersOf(loan.no)).toHaveLength(1);
  });

  it('runs as the scheduled job on the runtime clock', async () => {
    const borrower = await user(['clerk']);
    const loan = await loanOnLoan(borrower, '2027-03-04');
    let now = at('2027-02-20');
    const clock = () => now;
    const runtime = new JobRuntime(db(), { clock })
      .register(loanRemindersJob(db(), { offsets: OFFSETS, intervalSeconds: 3600, deliver: false }, clock))
      .schedule({ name: LOAN_REMINDERS_JOB, kind: LOAN_REMINDERS_JOB, everySeconds: 3600 });
    await runtime.saveSchedules();
    expect(await runtime.tickSchedules()).toBe(0);
    now = at('2027-03-01');
    expect(await runtime.tickSchedules()).toBe(1);
    expect(await runtime.drain()).toMatchObject({ done: 1 });
    expect(await remindersOf(loan.no)).toEqual([`${borrower.username} loan.due_soon -3`]);
    const job = await db()
      .selectFrom('job')
      .select(['progress'])
      .where('kind', '=', LOAN_REMINDERS_JOB)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(job.progress)).toContain('提醒');
  });

  it('tells of an overdue loan only the archivists whose scope covers its items, naming only those items', async () => {
    const borrower = await user(['clerk']);
    const j013 = await user(['archivist'], BUSINESS);
    const j014 = await user(['archivist'], [{ fondsCode: 'J014', regionCode: null, categoryCode: null }]);
    const all = await user(['archivist'], EVERYTHING);
    const due = shiftDate(D, 100);
    const ours = await loanOnLoan(borrower, due);
    const mixed = await loanOnLoan(borrower, due, 'paper', [code.normal, code.outside]);
    const result = await run(shiftDate(due, 7));
    expect(result.failed).toEqual([]);

    const told = async (archivist: Principal, loanNo: string) =>
      (await myNotices(db(), archivist)).notices
        .filter((n) => n.about === `loan:${loanNo}`)
        .map((n) => n.text);
    // The loan of J013 only: its archivist and the unscoped one hear of it, J014's does not.
    expect(await told(j013, ours.no)).toEqual([
      `借阅单 ${ours.no}（借阅人 ${borrower.username}，1 件）应还日为 ${due}，已逾期 7 天。`,
    ]);
    expect(await told(all, ours.no)).toHaveLength(1);
    expect(await told(j014, ours.no)).toEqual([]);
    expect((await remindersOf(ours.no)).join('\n')).not.toContain(j014.username);
    // One item of each fonds: each archivist is told of their own item only; the unscoped one of both.
    expect(await told(j014, mixed.no)).toEqual([
      `借阅单 ${mixed.no}（借阅人 ${borrower.username}，1 件）应还日为 ${due}，已逾期 7 天。`,
    ]);
    expect((await told(j013, mixed.no))[0]).toContain('，1 件）');
    expect((await told(all, mixed.no))[0]).toContain('，2 件）');
  });

  it('reminds the other loans of a batch when one notice is refused, and reports that loan each run', async () => {
    const borrower = await user(['clerk']);
    const archivist = await user(['archivist'], EVERYTHING);
    const due = shiftDate(D, 200);
    const before = await loanOnLoan(borrower, due);
    const bad = await loanOnLoan(borrower, due);
    const after = await loanOnLoan(borrower, due);
    // An outside borrower named with an ID number: the staff notice carrying it is refused (ID_NUMBER_IN_TEXT).
    await db()
      .updateTable('loan')
      .set({ borrower_org: `某单位${validId('32011519700101123')}`, letter_no: '宁医保函〔2026〕1号' })
      .where('id', '=', bad.id)
      .execute();
    const first = await run(shiftDate(due, 7));
    expect(first.failed).toEqual([{ loanNo: bad.no, offset: 7, code: 'ID_NUMBER_IN_TEXT' }]);
    for (const ok of [before, after]) {
      const lines = await remindersOf(ok.no);
      expect(lines).toContain(`${borrower.username} loan.overdue 7`);
      expect(lines).toContain(`${archivist.username} loan.overdue_staff 7`);
    }
    // Nothing of the refused loan was kept (not even its reader's notice): it is tried again next run.
    expect(await remindersOf(bad.no)).toEqual([]);
    const claimed = await db()
      .selectFrom('loan_reminder')
      .select('loan_id')
      .where('loan_id', '=', bad.id)
      .execute();
    expect(claimed).toEqual([]);
    const told = (await remindersOf(before.no)).length;
    const second = await run(shiftDate(due, 8));
    expect(second.failed).toEqual([{ loanNo: bad.no, offset: 7, code: 'ID_NUMBER_IN_TEXT' }]);
    expect(second.sent['7']).toBe(0);
    expect(await remindersOf(before.no)).toHaveLength(told);
  });
});
