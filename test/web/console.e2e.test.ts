import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  expectChineseGlyphs,
  launchBrowser,
  openConsole,
  screenshot,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../helpers/fixtures.js';

// The console's shell in a real browser: signing in (by keyboard alone), the dashboard's figures
// against the database's, Chinese drawn with real glyphs, and menus that follow the user's role.

let server: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const db = server.system.database.db;
  const shelf = { warehouse: '一号库', cabinet: '03', shelf: '2', box: '0117' };
  await fileItems(
    db,
    // Three items: 2023 paper, 2024 electronic, 2024 paper.
    [
      reimbursement({
        date: '2023-05-01',
        handledAt: '2023-05-01T10:00:00+08:00',
        carrier: 'paper',
        paperLocation: shelf,
      }),
      reimbursement({ carrier: 'electronic', idNumber: validId('32011519900101123') }),
      reimbursement({ carrier: 'paper', paperLocation: shelf, idNumber: validId('32011519910101123') }),
    ].map((item) => ({ ...item, fonds: FONDS.code })),
    'test',
    { access: SYSTEM },
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('signing in', () => {
  it('works with the keyboard alone, says why a wrong password fails, and lands on the dashboard', async () => {
    const user = await testUser(server.system.database.db, { roles: ['archivist'] });
    const { page, context, errors } = await openConsole(browser, server);
    await page.goto('/');
    await page.waitForURL('**/login');
    await expectChineseGlyphs(page);
    // The user name field takes the focus by itself; Tab moves to the password, Enter submits.
    // Polled from outside the page: the console's CSP forbids the eval a string predicate needs.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('username');
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('用户名、口令或动态口令错误');
    await screenshot(page, 'login-refused');
    await page.getByLabel('口令').fill('');
    await page.getByLabel('口令').focus();
    await page.keyboard.type('Archive-Test-Passw0rd!');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: '首页' }).waitFor();
    await expect(page.getByText('档案总件数').isVisible()).resolves.toBe(true);
    await context.close();
    expect(errors).toEqual([]);
  });

  it('asks for the dynamic code of an account with a second factor', async () => {
    const auditor = await testUser(server.system.database.db, { roles: ['auditor'] });
    expect(auditor.totpSecret).toBeTruthy();
    const { page, context, errors } = await openConsole(browser, server);
    await signIn(page, auditor.username, { totpSecret: auditor.totpSecret });
    await expect(page.getByRole('navigation', { name: '主导航' }).textContent()).resolves.toContain('审计');
    await context.close();
    expect(errors).toEqual([]);
  });
});

describe('the dashboard', () => {
  it('shows the database’s counts and rates, with charts drawn', async () => {
    const user = await testUser(server.system.database.db, { roles: ['manager'] });
    const { page, context, errors } = await openConsole(browser, server);
    await signIn(page, user.username);
    const total = page.locator('.ant-statistic').filter({ hasText: '档案总件数' });
    await expect.poll(() => total.textContent()).toContain('3');
    // One of three is electronic; one of the two paper ones has no scans yet.
    await expect(
      page.locator('.ant-statistic').filter({ hasText: '电子归档率' }).textContent(),
    ).resolves.toContain('33.3%');
    await expect(
      page.locator('.ant-statistic').filter({ hasText: '数字化率' }).textContent(),
    ).resolves.toContain('0.0%');
    const yearChart = page.getByRole('img', { name: '按年度统计的档案件数' });
    await expect.poll(() => yearChart.locator('svg path').count()).toBeGreaterThan(2);
    await expect(yearChart.textContent()).resolves.toContain('2024');
    await expectChineseGlyphs(page);
    await screenshot(page, 'dashboard');
    await context.close();
    expect(errors).toEqual([]);
  });
});

describe('what each role is offered', () => {
  it('gives a clerk no administration and an administrator no archive content', async () => {
    const db = server.system.database.db;
    const clerk = await testUser(db, { roles: ['clerk'] });
    const sysadmin = await testUser(db, { roles: ['sysadmin'] });
    const first = await openConsole(browser, server);
    await signIn(first.page, clerk.username);
    const clerkMenu = await first.page.getByRole('navigation', { name: '主导航' }).textContent();
    expect(clerkMenu).toContain('档案管理');
    expect(clerkMenu).not.toContain('系统管理');
    expect(clerkMenu).not.toContain('审计');
    await first.page.goto('/admin/users');
    await first.page.getByText('无权访问').waitFor();
    await first.context.close();

    const second = await openConsole(browser, server);
    await signIn(second.page, sysadmin.username, { totpSecret: sysadmin.totpSecret });
    const adminMenu = await second.page.getByRole('navigation', { name: '主导航' }).textContent();
    expect(adminMenu).toContain('系统管理');
    expect(adminMenu).not.toContain('档案管理');
    expect(adminMenu).not.toContain('检索');
    // No archive counts for a role that reads no archives; system health only.
    await second.page.getByRole('heading', { name: '首页' }).waitFor();
    await expect(second.page.getByText('档案总件数').count()).resolves.toBe(0);
    await expect(second.page.getByText('最近一次固定性检查').count()).resolves.toBe(1);
    await screenshot(second.page, 'dashboard-sysadmin');
    await second.context.close();
    expect([...first.errors, ...second.errors]).toEqual([]);
  });
});
