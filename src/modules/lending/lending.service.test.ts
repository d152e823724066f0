import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import {
  code,
  db,
  EVERYTHING,
  eventsOf,
  secadmin,
  useGrantDatabase,
  user,
} from '../../../test/helpers/grant-service.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { approveRequest, requestAccess } from '../access/grant.service.js';
import { setDisabled } from '../access/user.service.js';
import { fileItems } from '../catalog/item.service.js';
import { endLoan, handOver, openApproved, renewLoan, returnLoan } from './lending.desk.js';
import { itemsOnLoanSql } from './lending.queries.js';
import { requestLoan } from './lending.request.js';
import { approveLoan, rejectLoan, withdrawLoan } from './lending.service.js';
import { listLoanViews, loanView, paperLoanOf } from './lending.view.js';
import { listLoanRules, removeLoanRule, setLoanRule } from './rules.service.js';

// 借阅 on a real database: the state machine from request to 完结, the rules, and the bad input the
// issue names (too long, renewals past the limit, returning what was never lent, a double hand-over,
// two archivists confirming one return at once, a borrower disabled mid-loan, a clock jump).
// Time is moved by passing `now`, the services' last parameter.

useGrantDatabase();

const DAY = 86_400_000;
const plus = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

let serial = 0;
async function paper(overrides: Record<string, unknown> = {}): Promise<string> {
  serial += 1;
  const [filed] = await fileItems(
    db(),
    [
      reimbursement({
        idNumber: validId(`32011519900101${String(serial).padStart(3, '0')}`),
        carrier: 'paper',
        paperLocation: { warehouse: '一号库', cabinet: '3', shelf: '2', box: `${serial}` },
        title: `纸质报销审核表 ${serial}`,
        ...overrides,
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return filed?.archiveCode as string;
}

const clerkAsks = async (items: string[], extra: Partial<{ kind: string; days: number }> = {}) => {
  const clerk = await user(['clerk']);
  const loan = await requestLoan(db(), clerk, {
    kind: 'paper',
    items,
    purpose: '审计核对报销凭证',
    days: 10,
    ...extra,
  });
  return { clerk, loan };
};

describe('a paper loan from request to 完结', () => {
  it('moves through every state, each step one event, 应还日 and 实还日 kept apart', async () => {
    const item = await paper();
    const archivist = await user(['archivist']);
    const keeper = await user(['archivist']);
    const { clerk, loan } = await clerkAsks([item]);
    expect(loan).toMatchObject({ kind: 'paper', state: 'requested', stateName: '待审批', daysRequested: 10 });
    expect(loan.loanNo).toMatch(/^JY\d{4}-\d{6}$/);
    expect(loan.borrower.user).toBe(clerk.username);

    // Nobody approves their own request; a clerk may not approve at all.
    expect((await failure(approveLoan(db(), clerk, loan.loanNo))).code).toBe('FORBIDDEN');
    const selfLoan = await requestLoan(db(), archivist, {
      kind: 'paper',
      items: [await paper()],
      purpose: '整理核对案卷',
      days: 5,
    });
    expect((await failure(approveLoan(db(), archivist, selfLoan.loanNo))).code).toBe('LOAN_OWN_APPROVAL');

    // The approver may shorten, never lengthen.
    expect((await failure(approveLoan(db(), archivist, loan.loanNo, { days: 20 }))).code).toBe(
      'LOAN_DAYS_EXCEEDED',
    );
    const approved = await approveLoan(db(), archivist, loan.loanNo, { days: 7 });
    expect(approved).toMatchObject({
      state: 'approved',
      daysApproved: 7,
      level1By: archivist.username,
      dueOn: null,
    });

    // Returning what never left is refused.
    expect((await failure(returnLoan(db(), keeper, loan.loanNo, { condition: 'intact' }))).code).toBe(
      'LOAN_ITEM_NOT_LENT',
    );

    const now = new Date();
    const out = await handOver(db(), keeper, loan.loanNo, { pages: { [item]: 12 } }, now);
    const due = plus(beijingDate(now), 7);
    expect(out).toMatchObject({
      state: 'on_loan',
      stateName: '在借',
      dueOn: due,
      returnedOn: null,
      handedOverBy: keeper.username,
    });
    expect(out.items[0]).toMatchObject({ archiveCode: item, pagesOut: 12 });
    // A double hand-over is refused.
    expect((await failure(handOver(db(), keeper, loan.loanNo))).code).toBe('LOAN_STATE');
    // The paper shows 借出 to whom and until when.
    expect(await paperLoanOf(db(), archivist, item)).toMatchObject({
      loanNo: loan.loanNo,
      borrower: clerk.username,
      dueOn: due,
    });
    // The same paper cannot be asked for again while it is out.
    expect((await failure(clerkAsks([item]))).code).toBe('LOAN_ITEM_OUT');

    const renewed = await renewLoan(db(), clerk, loan.loanNo, {}, now);
    expect(renewed).toMatchObject({ dueOn: plus(due, 15), renewals: 1 });
    expect((await failure(renewLoan(db(), clerk, loan.loanNo, {}, now))).code).toBe('LOAN_RENEWAL_LIMIT');

    // Fewer pages than went out must be recorded as 缺页 with what is missing.
    expect(
      (await failure(returnLoan(db(), keeper, loan.loanNo, { pages: 11, condition: 'intact' }))).code,
    ).toBe('LOAN_RETURN_INVALID');
    const back = await returnLoan(
      db(),
      keeper,
      loan.loanNo,
      { pages: 11, condition: 'pages_missing', damage: '缺第12页' },
      now,
    );
    expect(back).toMatchObject({
      state: 'closed',
      stateName: '已完结',
      dueOn: plus(due, 15),
      returnedOn: beijingDate(now),
      returnedBy: keeper.username,
    });
    expect(back.items[0]).toMatchObject({
      pagesReturned: 11,
      condition: 'pages_missing',
      conditionName: '缺页',
      damage: '缺第12页',
    });
    expect(await paperLoanOf(db(), archivist, item)).toBeNull();
    expect((await failure(returnLoan(db(), keeper, loan.loanNo, { condition: 'intact' }))).code).toBe(
      'LOAN_ALREADY_RETURNED',
    );

    const events = await eventsOf(`loan:${loan.loanNo}`);
    expect(events.map((event) => event.action)).toEqual([
      'loan.requested',
      'loan.approved',
      'loan.handed_over',
      'loan.renewed',
      'loan.returned',
      'loan.closed',
    ]);
    expect(events[0]?.payload).toMatchObject({
      kind: 'paper',
      items: [item],
      days: 10,
      borrower: { user: clerk.username },
    });
    expect(events[2]?.payload).toMatchObject({ items: [item], due });
    expect(events[3]?.payload).toMatchObject({ from: due, to: plus(due, 15), renewal: 1 });
    expect(events[4]?.payload).toMatchObject({
      items: [item],
      pages: 11,
      condition: 'pages_missing',
      damage: '缺第12页',
    });
    expect(events[5]?.payload).toMatchObject({ returnedOn: beijingDate(now), reason: 'returned' });

    // The lists: mine for the clerk, the desk and approvals for archivists.
    expect((await listLoanViews(db(), clerk, { view: 'mine' })).loans.map((entry) => entry.loanNo)).toContain(
      loan.loanNo,
    );
    expect(
      (await listLoanViews(db(), archivist, { view: 'approvals' })).loans.map((entry) => entry.loanNo),
    ).not.toContain(selfLoan.loanNo);
    const other = await user(['archivist']);
    expect(
      (await listLoanViews(db(), other, { view: 'approvals' })).loans.map((entry) => entry.loanNo),
    ).toContain(selfLoan.loanNo);
    expect((await listLoanViews(db(), clerk, { view: 'desk' })).loans).toEqual([]);
  });

  it('refuses a loan longer than the rule, paper of permanent records, and a bad borrower', async () => {
    const item = await paper();
    expect((await failure(clerkAsks([item], { days: 31 }))).code).toBe('LOAN_DAYS_EXCEEDED');
    const permanent = await paper({ retention: 'Y' });
    expect((await failure(clerkAsks([permanent], { days: 5 }))).code).toBe('LOAN_PAPER_NOT_ALLOWED');
    // Electronic reading of the same permanent record is allowed, for at most 10 days.
    expect((await failure(clerkAsks([permanent], { kind: 'electronic', days: 11 }))).code).toBe(
      'LOAN_DAYS_EXCEEDED',
    );
    expect((await clerkAsks([permanent], { kind: 'electronic', days: 10 })).loan.state).toBe('requested');
    // Only an archivist registers an outside party, and then with its 介绍信.
    const clerk = await user(['clerk']);
    const archivist = await user(['archivist']);
    const outside = { kind: 'paper', items: [item], purpose: '外单位审计调阅', days: 5 };
    expect(
      (
        await failure(
          requestLoan(db(), clerk, { ...outside, borrower: { organisation: '市审计局', letterNo: 'SJ-1' } }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (await failure(requestLoan(db(), archivist, { ...outside, borrower: { organisation: '市审计局' } })))
        .code,
    ).toBe('LOAN_LETTER_REQUIRED');
    const org = await requestLoan(db(), archivist, {
      ...outside,
      borrower: { organisation: '市审计局', person: '赵审计', letterNo: 'SJ-2026-001' },
    });
    expect(org.borrower).toEqual({
      user: null,
      organisation: '市审计局',
      person: '赵审计',
      letterNo: 'SJ-2026-001',
    });
    expect(
      (await failure(requestLoan(db(), archivist, { ...outside, borrower: { user: 'nobody-here' } }))).code,
    ).toBe('LOAN_BORROWER_INVALID');
    expect((await failure(clerkAsks([item], { kind: 'lend' }))).code).toBe('LOAN_KIND_INVALID');
    expect((await failure(clerkAsks([item], { days: 0 }))).code).toBe('LOAN_DAYS_INVALID');
    expect((await failure(clerkAsks([code.normal]))).code).toBe('LOAN_NOT_PAPER');
  });

  it('a rule the archivist sets applies to new requests; the default rule stays', async () => {
    const archivist = await user(['archivist'], EVERYTHING);
    const clerk = await user(['clerk']);
    expect((await failure(setLoanRule(db(), clerk, { maxDays: 5 }))).code).toBe('FORBIDDEN');
    expect((await failure(setLoanRule(db(), archivist, { category: 'JSLX', maxDays: 400 }))).code).toBe(
      'LOAN_RULE_INVALID',
    );
    const rule = await setLoanRule(db(), archivist, {
      category: 'JSLX',
      maxDays: 3,
      renewalsAllowed: 0,
      level1Roles: ['archivist'],
    });
    expect(rule).toMatchObject({ category: 'JSLX', maxDays: 3, renewalsAllowed: 0 });
    expect((await failure(clerkAsks([await paper()], { days: 4 }))).code).toBe('LOAN_DAYS_EXCEEDED');
    expect((await eventsOf(`loan_rule:${rule.id}`)).map((event) => event.action)).toEqual(['loan.rule_set']);
    await removeLoanRule(db(), archivist, rule.id);
    expect((await listLoanRules(db(), clerk)).some((entry) => entry.id === rule.id)).toBe(false);
    const fallback = (await listLoanRules(db(), clerk)).find(
      (entry) => !entry.category && !entry.sensitivity && !entry.retention,
    );
    expect(fallback?.maxDays).toBe(30);
    expect((await failure(removeLoanRule(db(), archivist, fallback?.id as number))).code).toBe(
      'LOAN_RULE_INVALID',
    );
  });
});

describe('sensitive items, two levels, the grant', () => {
  it('needs two approvers of the named roles and the 安全保密员 grant before hand-over', async () => {
    const item = await paper({ sensitivity: 'sensitive' });
    // The default rule keeps sensitive paper in the store room: allow it for this category.
    const archivist = await user(['archivist'], EVERYTHING);
    await setLoanRule(db(), archivist, {
      category: 'JSLX',
      sensitivity: 'sensitive',
      approvalLevels: 2,
      maxDays: 10,
      paperMayLeave: true,
    });
    const { clerk, loan } = await clerkAsks([item], { days: 5 });
    expect(loan.approvalLevels).toBe(2);
    const first = await approveLoan(db(), archivist, loan.loanNo);
    expect(first).toMatchObject({ state: 'requested', approvedLevel: 1, stateName: '一级已批' });
    // The second level is a manager's, not the same archivist's nor another archivist's.
    expect((await failure(approveLoan(db(), archivist, loan.loanNo))).code).toBe('LOAN_OWN_APPROVAL');
    expect((await failure(approveLoan(db(), await user(['archivist'], EVERYTHING), loan.loanNo))).code).toBe(
      'LOAN_APPROVER_ROLE',
    );
    const manager = await user(['manager'], EVERYTHING);
    expect((await failure(rejectLoan(db(), manager, loan.loanNo, { reason: ' ' }))).code).toBe(
      'LOAN_REASON_REQUIRED',
    );
    expect((await approveLoan(db(), manager, loan.loanNo)).state).toBe('approved');
    const keeper = await user(['archivist'], EVERYTHING);
    expect((await failure(handOver(db(), keeper, loan.loanNo))).code).toBe('LOAN_GRANT_REQUIRED');
    const grant = await requestAccess(db(), clerk, { items: [item], purpose: '审计核对报销凭证', hours: 48 });
    await approveRequest(db(), secadmin, grant.id);
    expect((await handOver(db(), keeper, loan.loanNo)).state).toBe('on_loan');
    await removeLoanRule(
      db(),
      archivist,
      (await listLoanRules(db(), clerk)).find((rule) => rule.category === 'JSLX')?.id as number,
    );
  });

  it('a rejection names its reason and frees the items', async () => {
    const item = await paper();
    const { loan } = await clerkAsks([item]);
    const ids = async () => (await itemsOnLoanSql().execute(db())).rows.map((row) => Number(row.item_id));
    const before = (await ids()).length;
    const rejected = await rejectLoan(db(), await user(['archivist']), loan.loanNo, { reason: '用途不明确' });
    expect(rejected).toMatchObject({ state: 'rejected', rejectReason: '用途不明确' });
    expect((await ids()).length).toBe(before - 1);
    expect((await eventsOf(`loan:${loan.loanNo}`)).at(-1)).toMatchObject({
      action: 'loan.rejected',
      payload: { level: 1, reason: '用途不明确' },
    });
    const second = await clerkAsks([item]);
    expect((await withdrawLoan(db(), second.clerk, second.loan.loanNo)).state).toBe('withdrawn');
  });
});

describe('bad input at the desk', () => {
  async function onLoan(now = new Date()) {
    const item = await paper();
    const { clerk, loan } = await clerkAsks([item]);
    await approveLoan(db(), await user(['archivist']), loan.loanNo, {}, now);
    await handOver(db(), await user(['archivist']), loan.loanNo, {}, now);
    return { clerk, loan, item };
  }

  it('two archivists confirming the same return at once: one wins, one event', async () => {
    const { loan } = await onLoan();
    const [a, b] = [await user(['archivist']), await user(['archivist'])];
    const results = await Promise.allSettled([
      returnLoan(db(), a, loan.loanNo, { condition: 'intact' }),
      returnLoan(db(), b, loan.loanNo, { condition: 'intact' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe('LOAN_ALREADY_RETURNED');
    const actions = (await eventsOf(`loan:${loan.loanNo}`)).map((event) => event.action);
    expect(actions.filter((action) => action === 'loan.returned')).toHaveLength(1);
    expect(actions.filter((action) => action === 'loan.closed')).toHaveLength(1);
  });

  it('returning an item not in the loan, and renewing an overdue loan, are refused', async () => {
    const { clerk, loan } = await onLoan();
    const keeper = await user(['archivist']);
    expect(
      (await failure(returnLoan(db(), keeper, loan.loanNo, { items: [code.normal], condition: 'intact' })))
        .code,
    ).toBe('LOAN_ITEM_NOT_LENT');
    const late = new Date(Date.now() + 40 * DAY);
    expect((await failure(renewLoan(db(), clerk, loan.loanNo, {}, late))).code).toBe('LOAN_OVERDUE');
    expect(
      (await listLoanViews(db(), keeper, { view: 'desk' }, late)).loans.find(
        (entry) => entry.loanNo === loan.loanNo,
      )?.overdue,
    ).toBe(true);
    expect((await failure(renewLoan(db(), clerk, loan.loanNo, { days: 16 }))).code).toBe('LOAN_RENEWAL_DAYS');
  });

  it('a borrower disabled mid-loan cannot renew; the paper is still taken back', async () => {
    const { clerk, loan } = await onLoan();
    await setDisabled(db(), clerk.username, true, 'test', { fromServer: true });
    expect((await failure(renewLoan(db(), await user(['archivist']), loan.loanNo))).code).toBe(
      'LOAN_BORROWER_DISABLED',
    );
    expect(
      (await returnLoan(db(), await user(['archivist']), loan.loanNo, { condition: 'intact' })).state,
    ).toBe('closed');
  });

  it('a clock that jumps back never puts the return before the hand-over', async () => {
    const handed = new Date(Date.now() + 5 * DAY);
    const { loan } = await onLoan(handed);
    const back = await returnLoan(
      db(),
      await user(['archivist']),
      loan.loanNo,
      { condition: 'intact' },
      new Date(Date.now() - 3 * DAY),
    );
    expect(back.returnedOn).toBe(beijingDate(handed));
    expect(Date.parse(back.items[0]?.returnedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(back.handedOverAt as string),
    );
  });
});

describe('an outside organisation', () => {
  it('borrows paper on its 介绍信, registered and handed over by archivists; others find nothing', async () => {
    const item = await paper();
    const registrar = await user(['archivist']);
    const loan = await requestLoan(db(), registrar, {
      kind: 'paper',
      items: [item],
      purpose: '市审计局专项审计调阅',
      days: 5,
      borrower: { organisation: '南京市审计局', person: '赵审计', letterNo: '宁审函〔2026〕12号' },
    });
    // The registrar asked, so another archivist approves.
    expect((await failure(approveLoan(db(), registrar, loan.loanNo))).code).toBe('LOAN_OWN_APPROVAL');
    await approveLoan(db(), await user(['archivist']), loan.loanNo);
    const keeper = await user(['archivist']);
    await handOver(db(), keeper, loan.loanNo);
    expect(await paperLoanOf(db(), keeper, item)).toMatchObject({ borrower: '南京市审计局（赵审计）' });
    // A clerk who has nothing to do with it: not found, exactly as a number never issued.
    const stranger = await user(['clerk']);
    expect((await failure(withdrawLoan(db(), stranger, loan.loanNo))).code).toBe('LOAN_NOT_FOUND');
    expect((await failure(loanView(db(), stranger, loan.loanNo))).code).toBe('LOAN_NOT_FOUND');
    expect(
      (await returnLoan(db(), keeper, loan.loanNo, { condition: 'damaged', damage: '封面水渍' })).items[0],
    ).toMatchObject({
      condition: 'damaged',
      damage: '封面水渍',
    });
  });
});

describe('what the reviewers asked for', () => {
  it("refuses desk steps on one's own loan, rules from a narrowed scope, and fails closed without a reader", async () => {
    const archivist = await user(['archivist']);
    const own = await requestLoan(db(), archivist, {
      kind: 'paper',
      items: [await paper()],
      purpose: '整理核对案卷',
      days: 5,
    });
    await approveLoan(db(), await user(['archivist']), own.loanNo);
    expect((await failure(handOver(db(), archivist, own.loanNo))).code).toBe('LOAN_OWN_HANDLING');
    await handOver(db(), await user(['archivist']), own.loanNo);
    expect((await failure(returnLoan(db(), archivist, own.loanNo, { condition: 'intact' }))).code).toBe(
      'LOAN_OWN_HANDLING',
    );

    // A J013 archivist cannot set the rules every agency lends by.
    expect((await failure(setLoanRule(db(), archivist, { maxDays: 5 }))).code).toBe('LOAN_RULES_SCOPE');

    // An outside party's loan of a sensitive item, its registrar disabled since: nothing is handed over.
    const whole = await user(['archivist'], EVERYTHING);
    await setLoanRule(db(), whole, {
      category: 'JSLX',
      sensitivity: 'sensitive',
      approvalLevels: 1,
      maxDays: 10,
      paperMayLeave: true,
    });
    const registrar = await user(['archivist']);
    const item = await paper({ sensitivity: 'sensitive' });
    const loan = await requestLoan(db(), registrar, {
      kind: 'paper',
      items: [item],
      purpose: '市审计局专项审计调阅',
      days: 5,
      borrower: { organisation: '南京市审计局', letterNo: '宁审函〔2026〕13号' },
    });
    await approveLoan(db(), await user(['archivist']), loan.loanNo);
    await setDisabled(db(), registrar.username, true, 'test', { fromServer: true });
    expect((await failure(handOver(db(), await user(['archivist']), loan.loanNo))).code).toBe(
      'LOAN_BORROWER_DISABLED',
    );
    await removeLoanRule(
      db(),
      whole,
      (await listLoanRules(db(), whole)).find((rule) => rule.category === 'JSLX')?.id as number,
    );
  });

  it('two loans of one paper original: handed over at once, the database lets one out', async () => {
    const item = await paper();
    const first = await clerkAsks([item]);
    const second = await clerkAsks([item]);
    for (const loan of [first.loan, second.loan])
      await approveLoan(db(), await user(['archivist']), loan.loanNo);
    const [a, b] = [await user(['archivist']), await user(['archivist'])];
    const results = await Promise.allSettled([
      handOver(db(), a, first.loan.loanNo),
      handOver(db(), b, second.loan.loanNo),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe('LOAN_ITEM_OUT');
    const loser = results[0]?.status === 'rejected' ? first.loan.loanNo : second.loan.loanNo;
    expect((await loanView(db(), a, loser)).state).toBe('approved');
    expect((await eventsOf(`loan:${loser}`)).map((event) => event.action)).toEqual([
      'loan.requested',
      'loan.approved',
    ]);
  });

  it('two archivists setting the same new rule at once both succeed, one rule stands', async () => {
    const [a, b] = [await user(['archivist'], EVERYTHING), await user(['archivist'], EVERYTHING)];
    const [x, y] = await Promise.all([
      setLoanRule(db(), a, { retention: 'D10', maxDays: 20 }),
      setLoanRule(db(), b, { retention: 'D10', maxDays: 25 }),
    ]);
    expect(x.id).toBe(y.id);
    expect((await listLoanRules(db(), a)).filter((rule) => rule.retention === 'D10')).toHaveLength(1);
    await removeLoanRule(db(), a, x.id);
  });

  it('an electronic loan past its due date no longer holds its items back from disposition', async () => {
    const { loan } = await clerkAsks([code.normal], { kind: 'electronic', days: 2 });
    await approveLoan(db(), await user(['archivist']), loan.loanNo);
    const ids = async () => (await itemsOnLoanSql().execute(db())).rows.map((row) => Number(row.item_id));
    const item = await db()
      .selectFrom('loan_item')
      .select('item_id')
      .where('archive_code', '=', code.normal)
      .executeTakeFirstOrThrow();
    expect(await ids()).toContain(item.item_id);
    await db().updateTable('loan').set({ due_on: '2020-01-01' }).where('loan_no', '=', loan.loanNo).execute();
    const others = await db()
      .selectFrom('loan_item as li')
      .innerJoin('loan as l', 'l.id', 'li.loan_id')
      .select('l.loan_no')
      .where('li.item_id', '=', item.item_id)
      .where('li.open', '=', true)
      .where('l.loan_no', '<>', loan.loanNo)
      .execute();
    if (others.length === 0) expect(await ids()).not.toContain(item.item_id);
  });
});

describe('electronic loans', () => {
  it('open on approval for their days, close when ended; a sensitive one waits for the grant', async () => {
    const { clerk, loan } = await clerkAsks([code.normal], { kind: 'electronic', days: 3 });
    const now = new Date();
    const opened = await approveLoan(db(), await user(['archivist']), loan.loanNo, {}, now);
    expect(opened).toMatchObject({ state: 'on_loan', dueOn: plus(beijingDate(now), 3) });
    expect((await loanView(db(), clerk, loan.loanNo, new Date(now.getTime() + 4 * DAY))).stateName).toBe(
      '已到期',
    );
    expect((await endLoan(db(), clerk, loan.loanNo)).state).toBe('closed');
    expect((await eventsOf(`loan:${loan.loanNo}`)).map((event) => event.action)).toEqual([
      'loan.requested',
      'loan.approved',
      'loan.opened',
      'loan.closed',
    ]);

    const sensitive = await clerkAsks([code.sensitive2], { kind: 'electronic', days: 3 });
    const archivist = await user(['archivist']);
    await approveLoan(db(), archivist, sensitive.loan.loanNo);
    const approved = await approveLoan(db(), await user(['manager']), sensitive.loan.loanNo);
    expect(approved.state).toBe('approved');
    expect((await failure(openApproved(db(), sensitive.clerk, sensitive.loan.loanNo))).code).toBe(
      'LOAN_GRANT_REQUIRED',
    );
    const grant = await requestAccess(db(), sensitive.clerk, {
      items: [code.sensitive2],
      purpose: '审计核对报销凭证',
    });
    await approveRequest(db(), secadmin, grant.id);
    expect((await openApproved(db(), sensitive.clerk, sensitive.loan.loanNo)).state).toBe('on_loan');
  });
});
