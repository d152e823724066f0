import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUserByName } from '../../src/modules/access/access.repo.js';
import { fileItems, getItem } from '../../src/modules/catalog/item.service.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsolePage,
  type ConsoleServer,
  launchBrowser,
  openConsole,
  screenshot,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { reimbursement } from '../helpers/fixtures.js';

// The 三员 pages in a real browser, as one request's life: a clerk asks to read a sensitive item,
// the 安全保密员 approves it in 审批, the clerk sees it approved; the 安全审计员 finds the approval in
// 审计 and exports the trail; the 系统管理员 creates an account, which a clerk cannot even see.

const PURPOSE = '核对参保人门诊慢特病认定材料（信访件 2026-118）';

let server: ConsoleServer;
let browser: Browser;
let clerk: TestUser;
let secadmin: TestUser;
let auditor: TestUser;
let sysadmin: TestUser;
/** The sensitive item's 档号 and the clerk's request to read it. */
let sensitiveCode = '';
let requestId = 0;
/** The clerk's browser session, kept from (a) to (c). */
let clerkSession: ConsolePage;
/** The auditor's, kept from the approval's audit to the read's. */
let auditorSession: ConsolePage;

const db = () => server.system.database.db;

async function call(user: TestUser, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...user.headers, 'content-type': 'application/json', ...init.headers },
  });
}

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  // Filed as 一般; the diagnosis alone (ICD-10 F20, schizophrenia) makes it 敏感.
  const [filed] = await fileItems(
    db(),
    [
      reimbursement({
        title: '王建国 门诊慢特病待遇认定表',
        extra: { hospital: '江宁医院', diagnosis: 'F20.0 精神分裂症' },
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  sensitiveCode = filed?.archiveCode as string;
  expect((await getItem(db(), sensitiveCode, SYSTEM)).sensitivity).toBe('sensitive');
  clerk = await testUser(db(), { roles: ['clerk'] });
  secadmin = await testUser(db(), { roles: ['secadmin'] });
  auditor = await testUser(db(), { roles: ['auditor'] });
  sysadmin = await testUser(db(), { roles: ['sysadmin'] });
}, 180_000);

afterAll(async () => {
  await clerkSession?.context.close();
  await auditorSession?.context.close();
  await browser?.close();
  await server?.close();
});

/** The table row (antd Table) that contains a text. */
const rowWith = (page: Page, text: string) => page.locator('tr.ant-table-row').filter({ hasText: text });

describe('审批: a sensitive read asked, approved and seen', () => {
  it('lets the 安全保密员 approve the clerk’s request in the inbox, for fewer days than asked', async () => {
    const asked = await call(clerk, '/api/v1/access-requests', {
      method: 'POST',
      body: JSON.stringify({ items: [sensitiveCode], purpose: PURPOSE, hours: 72 }),
    });
    expect(asked.status, await asked.clone().text()).toBe(201);
    requestId = ((await asked.json()) as { id: number }).id;

    const { page, context, errors } = await openConsole(browser, server);
    await signIn(page, secadmin.username, { totpSecret: secadmin.totpSecret });
    await page.goto('/approvals');
    await page.getByRole('heading', { name: '查阅审批' }).waitFor();
    const row = rowWith(page, sensitiveCode);
    await expect.poll(() => row.textContent()).toContain(PURPOSE);
    await expect(row.textContent()).resolves.toContain('3 天');
    await row.getByRole('button', { name: '批准' }).click();
    const dialog = page.getByRole('dialog', { name: '批准查阅申请' });
    await dialog.getByLabel('批准天数').fill('2');
    await dialog.getByLabel('审批意见').fill('同意，限两天');
    await screenshot(page, 'approvals-approve');
    await dialog.getByRole('button', { name: '确认批准' }).click();
    await page.getByText(`已批准查阅申请 ${requestId}`).waitFor();
    // Gone from the inbox, in 已处理 as approved with the shortened time.
    await expect.poll(() => rowWith(page, sensitiveCode).count()).toBe(0);
    await page.getByRole('tab', { name: '已处理' }).click();
    const decided = rowWith(page, sensitiveCode);
    await expect.poll(() => decided.textContent()).toContain('已批准');
    await expect(decided.getByRole('button', { name: '收回' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'approvals-decided');

    const stored = await call(secadmin, `/api/v1/access-requests/${requestId}`);
    expect(await stored.json()).toMatchObject({
      status: 'approved',
      hours: 48,
      decidedBy: secadmin.username,
      note: '同意，限两天',
    });
    await context.close();
    expect(errors).toEqual([]);
  });

  it('shows the clerk the request approved, with its expiry and a way to the item', async () => {
    clerkSession = await openConsole(browser, server);
    const { page } = clerkSession;
    await signIn(page, clerk.username);
    await page.goto('/approvals');
    await page.getByRole('heading', { name: '我的查阅申请' }).waitFor();
    const row = rowWith(page, sensitiveCode);
    await expect.poll(() => row.textContent()).toContain('已批准');
    await expect(row.textContent()).resolves.toContain('有效期至');
    const link = row.getByRole('link', { name: sensitiveCode });
    await expect(link.getAttribute('href')).resolves.toBe(`/items/${encodeURIComponent(sensitiveCode)}`);
    // A clerk decides nothing here.
    await expect(page.getByRole('button', { name: '批准' }).count()).resolves.toBe(0);
    await screenshot(page, 'approvals-mine');
    expect(clerkSession.errors).toEqual([]);
  });
});

describe('reading under the grant', () => {
  it('lets the clerk follow the link and read the item, saying under which request', async () => {
    const { page } = clerkSession;
    await page.goto('/approvals');
    await rowWith(page, sensitiveCode).getByRole('link', { name: sensitiveCode }).click();
    await page.waitForURL(`**/items/${encodeURIComponent(sensitiveCode)}`);
    // The clerk may not unmask: the name in the title stays masked, the rest is there.
    await expect.poll(() => page.locator('main').textContent()).toContain('王*国 门诊慢特病待遇认定表');
    await expect
      .poll(() => page.locator('main').textContent())
      .toContain(`依据您的查阅申请（编号 ${requestId}`);
    await screenshot(page, 'item-read-under-grant');
    expect(clerkSession.errors).toEqual([]);
  });
});

describe('审计: the approval found and exported', () => {
  it('filters the trail by the approver, opens the event and downloads the CSV', async () => {
    auditorSession = await openConsole(browser, server);
    const { page, errors } = auditorSession;
    await signIn(page, auditor.username, { totpSecret: auditor.totpSecret });
    await page.goto('/audit');
    await page.getByRole('heading', { name: '审计' }).waitFor();
    await page.getByLabel('操作人').fill(secadmin.username);
    await page.getByRole('button', { name: '查询' }).click();
    const row = rowWith(page, `access-request:${requestId}`);
    await expect.poll(() => row.textContent()).toContain('批准查阅申请');
    // Only the approver's events are left (their sign-in and the approval); the cell's first line is
    // who, the second from where.
    const actors = await page.locator('tr.ant-table-row td:nth-child(4) > div:first-child').allTextContents();
    expect(new Set(actors)).toEqual(new Set([secadmin.username]));
    await row.getByRole('button', { name: /展开行/ }).click();
    await expect.poll(() => page.locator('.ant-table-expanded-row').textContent()).toContain('"hours": 48');
    await screenshot(page, 'audit-filtered');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^审计记录-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const [header, ...lines] = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(header).toBe('序号,时间,操作人,事件,事件代码,对象,来源地址,目的,授权单号,详情');
    expect(
      lines.some((line) => line.includes('access.approved') && line.includes(`access-request:${requestId}`)),
    ).toBe(true);
    expect(lines.every((line) => line.split(',')[2] === secadmin.username)).toBe(true);

    // The export is itself on the record, with the filter it used.
    const exported = await call(
      auditor,
      `/api/v1/audit/events?action=audit.exported&actor=${auditor.username}`,
    );
    const entries = ((await exported.json()) as { entries: Array<{ payload: { filter: unknown } }> }).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]?.payload.filter).toMatchObject({ actor: secadmin.username });
    // The auditor's session stays open for the next test: a second TOTP sign-in in the same
    // 30-second step would be refused as a replayed code.
    expect(errors).toEqual([]);
  });
});

describe('审计: the read found', () => {
  it('shows the auditor the clerk’s read of the sensitive item, with the grant it was made under', async () => {
    const { page, errors } = auditorSession;
    await page.goto('/audit');
    await page.getByLabel('操作人').fill(clerk.username);
    await page.getByRole('button', { name: '查询' }).click();
    const row = page
      .locator('tr.ant-table-row')
      .filter({ hasText: '查阅敏感档案' })
      .filter({ hasText: sensitiveCode })
      .first();
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await expect(row.textContent()).resolves.toContain(PURPOSE);
    await screenshot(page, 'audit-read');
    expect(errors).toEqual([]);
  });
});

describe('用户与角色: accounts by the 系统管理员 only', () => {
  it('lets the 系统管理员 create an account, refusing a weak password beside the field', async () => {
    const { page, context, errors } = await openConsole(browser, server);
    await signIn(page, sysadmin.username, { totpSecret: sysadmin.totpSecret });
    await page.goto('/admin/users');
    await page.getByRole('heading', { name: '用户与角色' }).waitFor();
    await page.getByRole('button', { name: '新建账户' }).click();
    const dialog = page.getByRole('dialog', { name: '新建账户' });
    await dialog.getByLabel('用户名').fill('chenjing');
    await dialog.getByLabel('姓名').fill('陈静');
    // Passes the console's own checks; the server knows it for a common password.
    await dialog.getByLabel('初始口令').fill('Password2026!');
    await dialog.getByLabel('确认口令').fill('Password2026!');
    await dialog.getByRole('button', { name: '创建' }).click();
    await expect
      .poll(() => dialog.locator('.ant-form-item-explain-error').textContent())
      .toContain('口令过于常见');
    await dialog.getByLabel('初始口令').fill('Qing-Shan-Lu-88');
    await dialog.getByLabel('确认口令').fill('Qing-Shan-Lu-88');
    await dialog.getByRole('button', { name: '创建' }).click();
    const row = rowWith(page, 'chenjing');
    await expect.poll(() => row.textContent()).toContain('陈静');
    await expect(row.textContent()).resolves.toContain('未授予角色');
    await screenshot(page, 'admin-users');

    const stored = await findUserByName(db(), 'chenjing');
    expect(stored).toMatchObject({ displayName: '陈静', createdBy: sysadmin.username, disabled: false });
    await context.close();
    expect(errors).toEqual([]);
  });

  it('shows a clerk 无权访问 and no 系统管理 in the menu', async () => {
    const { page, errors } = clerkSession;
    await page.goto('/admin/users');
    await page.getByText('无权访问').waitFor();
    const menu = await page.getByRole('navigation', { name: '主导航' }).textContent();
    expect(menu).toContain('审批');
    expect(menu).not.toContain('系统管理');
    await expect(page.getByRole('button', { name: '新建账户' }).count()).resolves.toBe(0);
    await screenshot(page, 'admin-users-clerk');
    expect(errors).toEqual([]);
  });
});
