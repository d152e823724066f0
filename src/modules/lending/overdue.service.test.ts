import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { code, db, EVERYTHING, useGrantDatabase, user } from '../../../test/helpers/grant-service.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import type { LoanKind } from './lending.tables.js';
import { overdueList } from './overdue.service.js';
import { runLoanReminders, shiftDate } from './reminder.service.js';

// The overdue list (逾期): open paper loans past their 应还日 in Beijing days, longest overdue first,
// paged by cursor, within the archivist's scope, with the items still out and the last reminder.

useGrantDatabase();

const at = (date: string) => new Date(`${date}T01:00:00Z`);
const TODAY = '2026-11-20';

let serial = 0;
async function loan(
  borrower: Principal,
  dueOn: string,
  options: { kind?: LoanKind; items?: string[]; state?: 'on_loan' | 'closed'; org?: string } = {},
): Promise<string> {
  serial += 1;
  const no = `JY2026-8${String(serial).padStart(5, '0')}`;
  const { id } = await db()
    .insertInto('loan')
    .values({
      loan_no: no,
      kind: options.kind ?? 'paper',
      requester_id: borrower.userId,
      requested_by: borrower.username,
      borrower_id: options.org ? null : borrower.userId,
      borrower_username: options.org ? null : borrower.username,
      borrower_org: options.org ?? null,
      letter_no: options.org ? '介字〔2026〕12号' : null,
      purpose: '审计核对报销凭证',
      days_requested: 10,
      state: options.state ?? 'on_loan',
      approval_levels: 1,
      level1_roles: ['archivist'],
      level2_roles: ['manager'],
      renewals_allowed: 1,
      renewal_days: 10,
      due_on: dueOn,
      handed_over_by: 'keeper',
      handed_over_at: at(shiftDate(dueOn, -10)),
      created_at: at(shiftDate(dueOn, -11)),
      updated_at: at(shiftDate(dueOn, -10)),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const archiveCode of options.items ?? [code.normal]) {
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
  return no;
}

describe('the overdue list', () => {
  it('lists overdue paper loans in the caller’s scope, longest overdue first, paged', async () => {
    const borrower = await user(['clerk']);
    const scoped = await accessContextOf(db(), await user(['archivist']));
    const everywhere = await accessContextOf(db(), await user(['archivist'], EVERYTHING));
    const old = await loan(borrower, shiftDate(TODAY, -30));
    const yesterday = await loan(borrower, shiftDate(TODAY, -1), { org: '江宁区审计局' });
    const outside = await loan(borrower, shiftDate(TODAY, -5), { items: [code.normal, code.outside] });
    await loan(borrower, TODAY); // due today: not overdue yet
    await loan(borrower, shiftDate(TODAY, -9), { kind: 'electronic' });
    await loan(borrower, shiftDate(TODAY, -9), { state: 'closed' });
    await runLoanReminders(db(), SYSTEM, { offsets: [-3, 0, 7], deliver: false, now: at(TODAY) });

    const page = await overdueList(db(), scoped, {}, at(TODAY));
    expect(page.today).toBe(TODAY);
    expect(page.total).toBe(2);
    expect(page.totalAtLeast).toBe(false);
    expect(page.loans.map((row) => [row.loanNo, row.daysOverdue])).toEqual([
      [old, 30],
      [yesterday, 1],
    ]);
    expect(page.loans[0]).toMatchObject({
      borrower: { user: borrower.username, organisation: null, letterNo: null },
      dueOn: shiftDate(TODAY, -30),
      items: [code.normal],
      handedOverBy: 'keeper',
      lastReminder: { offset: 7, sentAt: `${TODAY}T09:00:00+08:00` },
    });
    expect(page.loans[1]).toMatchObject({
      borrower: { user: null, organisation: '江宁区审计局', letterNo: '介字〔2026〕12号' },
      // First seen a day late: the due-day reminder, not yet the T+7 one.
      lastReminder: { offset: 0 },
    });

    // The whole archive's archivist sees the loan holding an item of another fonds too.
    const all = await overdueList(db(), everywhere, { limit: 1 }, at(TODAY));
    expect(all.total).toBe(3);
    expect(all.loans.map((row) => row.loanNo)).toEqual([old]);
    const second = await overdueList(db(), everywhere, { limit: 1, cursor: all.next as string }, at(TODAY));
    expect(second.loans.map((row) => row.loanNo)).toEqual([outside]);
    // The total comes with the first page only.
    expect(second.total).toBeNull();
    const third = await overdueList(db(), everywhere, { limit: 1, cursor: second.next as string }, at(TODAY));
    expect(third.loans.map((row) => row.loanNo)).toEqual([yesterday]);
    expect(third.next).toBeNull();

    // At least a week overdue.
    expect(
      (await overdueList(db(), everywhere, { minDays: 7 }, at(TODAY))).loans.map((r) => r.loanNo),
    ).toEqual([old]);
    // A day later the loan due today is overdue too.
    expect((await overdueList(db(), scoped, {}, at(shiftDate(TODAY, 1)))).total).toBe(3);
  });

  it('refuses a caller who does not handle loans, and bad paging, in Chinese', async () => {
    const clerk = await accessContextOf(db(), await user(['clerk']));
    expect((await failure(overdueList(db(), clerk))).code).toBe('FORBIDDEN');
    const archivist = await accessContextOf(db(), await user(['archivist']));
    const bad = async (query: Parameters<typeof overdueList>[2]) => {
      const error = await failure(overdueList(db(), archivist, query));
      expect(error.code).toBe('LOAN_OVERDUE_QUERY_INVALID');
      return error.message;
    };
    expect(await bad({ cursor: 'garbage' })).toMatch(/翻页标记无效/);
    expect(await bad({ cursor: '2026-13-45_1' })).toMatch(/翻页标记无效/);
    expect(await bad({ limit: 0 })).toMatch(/每页条数/);
    expect(await bad({ minDays: 0 })).toMatch(/逾期天数/);
  });
});
