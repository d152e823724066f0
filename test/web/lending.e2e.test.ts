import { Readable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByName } from '../../src/modules/access/access.repo.js';
import { loadPrincipal } from '../../src/modules/access/principal.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { requestLoan } from '../../src/modules/lending/lending.request.js';
import { approveLoan } from '../../src/modules/lending/lending.service.js';
import { addFile } from '../../src/modules/storage/file.service.js';
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
import { samplePdf } from '../helpers/watermark-api.js';

// 借阅 in a real browser: a paper loan from 借阅申请 through 借阅审批 and 出库 (the item page then
// shows the paper 借出 to whom and until when) to 归还 with its 实还日; and an electronic loan read
// under its number that, once its 应还日 has passed, shows 已到期 and lists nothing more to read.
// Time passes by moving the loan's 应还日 back in the database (the services take `now`).

let server: ConsoleServer;
let browser: Browser;
let clerk: TestUser;
let archivist: TestUser;
let paperCode = '';
let electronicCode = '';
const db = () => server.system.database.db;

async function principal(username: string) {
  const row = await findUserByName(db(), username);
  return (await loadPrincipal(db(), row?.id as number, 'session')) as NonNullable<
    Awaited<ReturnType<typeof loadPrincipal>>
  >;
}

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  clerk = await testUser(db(), { roles: ['clerk'] });
  archivist = await testUser(db(), { roles: ['archivist'] });
  const [paper, electronic] = await fileItems(
    db(),
    [
      reimbursement({
        carrier: 'paper',
        title: '纸质报销审核表',
        paperLocation: { warehouse: '一号库', cabinet: '3', shelf: '2', box: '7' },
      }),
      reimbursement({ carrier: 'electronic', title: '电子报销审核表', date: '2024-03-16' }),
    ],
    'test',
    { access: SYSTEM },
  );
  paperCode = paper?.archiveCode as string;
  electronicCode = electronic?.archiveCode as string;
  await addFile(
    { db: db(), store: server.system.store, access: SYSTEM },
    electronicCode,
    { stream: Readable.from([await samplePdf()]), fileName: '报销审核表.pdf' },
    'test',
  );
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('借阅', () => {
  it('a paper loan from request to return', async () => {
    const asClerk = await openConsole(browser, server);
    await signIn(asClerk.page, clerk.username);
    await asClerk.page.goto(`${server.url}/lending/new`);
    await asClerk.page.getByLabel('档号').fill(paperCode);
    await asClerk.page.getByLabel('借阅目的').fill('审计核对报销凭证');
    await asClerk.page.getByLabel('借阅天数').fill('7');
    await asClerk.page.getByRole('button', { name: '提交申请' }).click();
    const notice = asClerk.page.getByText(/已提交借阅申请 JY\d{4}-\d{6}/);
    await notice.waitFor();
    const loanNo = /JY\d{4}-\d{6}/.exec((await notice.textContent()) ?? '')?.[0] as string;
    await asClerk.page.locator('tr').filter({ hasText: loanNo }).getByText('待审批').waitFor();
    expect(asClerk.errors).toEqual([]);

    const desk = await openConsole(browser, server);
    await signIn(desk.page, archivist.username);
    await desk.page.goto(`${server.url}/lending/approvals`);
    await desk.page.locator('tr').filter({ hasText: loanNo }).getByRole('button', { name: '批准' }).click();
    await desk.page.getByRole('dialog').getByRole('button', { name: '批准' }).click();
    await desk.page.getByText(`借阅单 ${loanNo}：已批准`).waitFor();

    await desk.page.goto(`${server.url}/lending/desk`);
    await desk.page.locator('tr').filter({ hasText: loanNo }).getByRole('button', { name: '出库' }).click();
    await desk.page.getByLabel('出库页数').fill('12');
    await desk.page.getByRole('button', { name: '确认出库' }).click();
    await desk.page.getByText(new RegExp(`借阅单 ${loanNo}：在借，应还日 \\d{4}-\\d{2}-\\d{2}`)).waitFor();

    // The item page shows where the paper is: 借出 to the clerk, with its due date.
    await desk.page.goto(`${server.url}/items/${encodeURIComponent(paperCode)}`);
    await desk.page
      .getByText(new RegExp(`借出：${clerk.username}，应还日 \\d{4}-\\d{2}-\\d{2}（${loanNo}）`))
      .waitFor();

    await desk.page.goto(`${server.url}/lending/desk`);
    await desk.page.getByRole('tab', { name: /在借/ }).click();
    await desk.page.locator('tr').filter({ hasText: loanNo }).getByRole('button', { name: '归还' }).click();
    await desk.page.getByLabel('归还页数').fill('12');
    await desk.page.getByRole('button', { name: '确认归还' }).click();
    await desk.page
      .getByText(new RegExp(`借阅单 ${loanNo}：已完结，应还日 [\\d-]+，实还日 [\\d-]+`))
      .waitFor();
    expect(desk.errors).toEqual([]);

    await asClerk.page.goto(`${server.url}/lending/mine`);
    await asClerk.page.locator('tr').filter({ hasText: loanNo }).getByText('已完结').waitFor();
    await asClerk.context.close();
    await desk.context.close();
  });

  it('an electronic loan is read under its number, then expires', async () => {
    const asked = await requestLoan(db(), await principal(clerk.username), {
      kind: 'electronic',
      items: [electronicCode],
      purpose: '核对报销材料',
      days: 3,
    });
    await approveLoan(db(), await principal(archivist.username), asked.loanNo);
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, clerk.username);
    await page.goto(`${server.url}/lending/mine`);
    const row = page.locator('tr').filter({ hasText: asked.loanNo });
    await row.getByText('在借').waitFor();
    await row.locator('.ant-table-row-expand-icon').click();
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: '阅览' }).click();
    await (await popup).close();
    const reads = async () =>
      (
        await db()
          .selectFrom('integrity_event')
          .select('action')
          .where('subject', '=', `loan:${asked.loanNo}`)
          .where('action', '=', 'loan.read')
          .execute()
      ).length;
    await expect.poll(reads).toBe(1);

    // The due date passes.
    await db()
      .updateTable('loan')
      .set({ due_on: '2020-01-01' })
      .where('loan_no', '=', asked.loanNo)
      .execute();
    await page.reload();
    await row.getByText('已到期').waitFor();
    await expect(row.getByRole('button', { name: '续借' }).count()).resolves.toBe(0);
    await row.locator('.ant-table-row-expand-icon').click();
    await page.getByText(`借阅单 ${asked.loanNo} 已于 2020-01-01 到期，不能再阅览`).waitFor();
    expect(await reads()).toBe(1);
    expect(errors.filter((error) => !error.includes('403'))).toEqual([]);
    await context.close();
  });
});
