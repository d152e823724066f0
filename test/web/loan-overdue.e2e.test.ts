import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { runLoanReminders, shiftDate } from '../../src/modules/lending/reminder.service.js';
import { beijingDate } from '../../src/shared/beijing-time.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { reimbursement } from '../helpers/fixtures.js';

// 逾期 and 站内通知 in a real browser: a paper loan ten days past its 应还日 is on the archivist's
// overdue list with its 档号 and the T+7 reminder, and that reminder waits in the borrower's inbox
// behind the header's bell until it is opened.

let server: ConsoleServer;
let browser: Browser;
let borrower: TestUser;
let archivist: TestUser;
let archiveCode = '';
const LOAN = 'JY2026-700001';
const db = () => server.system.database.db;
const today = beijingDate(new Date());
const due = shiftDate(today, -10);

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  borrower = await testUser(db(), { roles: ['clerk'] });
  archivist = await testUser(db(), { roles: ['archivist'] });
  const [filed] = await fileItems(
    db(),
    [
      reimbursement({
        carrier: 'paper',
        title: '纸质报销审核表',
        paperLocation: { warehouse: '一号库', cabinet: '3', shelf: '2', box: '7' },
      }),
    ],
    'test',
    {
      access: SYSTEM,
    },
  );
  archiveCode = filed?.archiveCode as string;
  const reader = await db()
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', borrower.username)
    .executeTakeFirstOrThrow();
  const { id } = await db()
    .insertInto('loan')
    .values({
      loan_no: LOAN,
      kind: 'paper',
      requester_id: reader.id,
      requested_by: borrower.username,
      borrower_id: reader.id,
      borrower_username: borrower.username,
      purpose: '审计核对报销凭证',
      days_requested: 20,
      days_approved: 20,
      state: 'on_loan',
      approval_levels: 1,
      level1_roles: ['archivist'],
      level2_roles: ['manager'],
      renewals_allowed: 1,
      renewal_days: 10,
      due_on: due,
      handed_over_by: archivist.username,
      handed_over_at: new Date(Date.now() - 30 * 86_400_000),
      created_at: new Date(Date.now() - 31 * 86_400_000),
      updated_at: new Date(Date.now() - 30 * 86_400_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const item = await db()
    .selectFrom('archive_item')
    .select('id')
    .where('archive_code', '=', archiveCode)
    .executeTakeFirstOrThrow();
  await db()
    .insertInto('loan_item')
    .values({ loan_id: id, item_id: item.id, archive_code: archiveCode, handed_over_at: new Date() })
    .execute();
  await runLoanReminders(db(), SYSTEM, { offsets: [-3, 0, 7], deliver: false });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('逾期 and the inbox', () => {
  it('lists the overdue loan for the archivist with its 档号 and the reminder sent', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, archivist.username);
    // 借阅 → 逾期 in the sidebar.
    await page.getByRole('navigation', { name: '主导航' }).getByText('借阅', { exact: true }).click();
    await page.getByRole('link', { name: '逾期', exact: true }).click();
    const row = page.locator('tr').filter({ hasText: LOAN });
    await row.getByText('10 天').waitFor();
    await expect(row.getByRole('link', { name: archiveCode }).count()).resolves.toBe(1);
    await row.getByText('逾期 7 天提醒').waitFor();
    await page.getByText(`截至 ${today}，您范围内逾期未还的借阅单共 1 笔。`).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the borrower the reminder behind the bell, and opening it marks it read', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, borrower.username);
    await page.getByRole('link', { name: '站内通知，1 条未读' }).click();
    const item = page.locator('.ant-list-item').filter({ hasText: LOAN });
    await item.getByText('借阅已逾期').waitFor();
    await item.getByText(`应还日为 ${due}，已逾期 7 天`).waitFor();
    await item.getByRole('button', { name: '查看' }).click();
    await page.waitForURL('**/lending/mine');
    // The bell reads the count again on the page change: nothing unread.
    await page.locator('header').getByRole('link', { name: '站内通知', exact: true }).waitFor();
    const unread = await db()
      .selectFrom('notice')
      .select('read_at')
      .where('recipient_name', '=', borrower.username)
      .execute();
    expect(unread).toHaveLength(1);
    expect(unread[0]?.read_at).toBeInstanceOf(Date);
    expect(errors).toEqual([]);
    await context.close();
  });
});
