import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { logEvent } from '../../src/modules/integrity/event-log.js';
import { catchUpUses } from '../../src/modules/use/use.follower.js';
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

// 利用统计 in a real browser: two items lent to a clerk are two uses on the 首页's 利用 card and in
// the statistics; the archivist records a use's 利用效果 and exports the workbook.

let server: ConsoleServer;
let browser: Browser;
let archivist: TestUser;
const codes: string[] = [];
const db = () => server.system.database.db;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  archivist = await testUser(db(), { roles: ['archivist'] });
  const clerk = await testUser(db(), { roles: ['clerk'] });
  const filed = await fileItems(
    db(),
    [reimbursement({ date: '2024-05-01' }), reimbursement({ date: '2024-05-02' })],
    'test',
    { access: SYSTEM },
  );
  codes.push(...filed.map((item) => item.archiveCode));
  const subject = 'loan:JY2026-000777';
  await logEvent(db(), {
    actor: clerk.username,
    action: 'loan.requested',
    subject,
    payload: {
      kind: 'paper',
      items: codes,
      purpose: '核对报销材料',
      days: 10,
      borrower: { user: clerk.username },
    },
  });
  await logEvent(db(), {
    actor: archivist.username,
    action: 'loan.handed_over',
    subject,
    payload: { items: codes, due: '2026-12-31' },
  });
  await catchUpUses(db());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('利用统计', () => {
  it('shows the uses on the 首页 card and the page, records an effect and exports the workbook', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, archivist.username, { totpSecret: archivist.totpSecret });
    const card = page.locator('.ant-card').filter({ hasText: '本月利用' });
    await card.getByText('实体借出 2').waitFor();
    await card.getByRole('link', { name: '利用统计' }).click();
    await page.getByRole('heading', { name: '利用统计' }).waitFor();
    await expect(page.getByTestId('use-total').textContent()).resolves.toBe('2');
    const row = page.locator('tr').filter({ hasText: codes[0] as string });
    await row.getByText('核对报销材料').waitFor();
    await row.getByRole('button', { name: '记录利用效果' }).click();
    await page.getByRole('combobox', { name: '利用效果' }).click();
    await page.locator('.ant-select-item-option').filter({ hasText: '编研' }).click();
    await page.getByLabel('利用效果说明').fill('编入年度利用汇编');
    await page.getByRole('button', { name: '保存' }).click();
    // The row showing the effect proves the save; the toast lasts 3 s and a loaded machine missed it once.
    await row.getByText('编研').waitFor();
    await expect(page.locator('.ant-message-error').count()).resolves.toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 XLSX' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('利用统计.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(fs.readFileSync(await download.path()) as never);
    const register = workbook.getWorksheet('利用登记簿');
    expect(register?.rowCount).toBe(3);
    expect(errors).toEqual([]);
    await context.close();
  });
});
