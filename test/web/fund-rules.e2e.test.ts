import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fundRunJob } from '../../src/modules/fund/run.service.js';
import { JobRuntime } from '../../src/modules/jobs/job.runtime.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { validId } from '../helpers/fixtures.js';
import { plantRuleScreen } from '../helpers/fund-rules.js';

// 规则与线索 in a real browser: a supervisor of 江宁 opens the page from the sidebar, reads a rule's
// description, has an out-of-range parameter refused and saves a change with a reason (version 2),
// starts a run and follows it to its end, opens a clue with its evidence lines and the archive filed
// for its settlement (a link to the item), and dismisses it with a reason. No ID number on the page.

let server: ConsoleServer;
let browser: Browser;
let supervisor: TestUser;
const ID = validId('32011519850312123');

let archiveCode: string;
beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  supervisor = await testUser(server.system.database.db, {
    roles: ['supervisor'],
    scope: [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
  });
  archiveCode = await plantRuleScreen(server.system.database.db, ID);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('规则与线索', () => {
  it('changes a parameter with a reason, runs the rules, opens a clue with its evidence and archive, dismisses it', async () => {
    const db = server.system.database.db;
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, supervisor.username, { totpSecret: supervisor.totpSecret });
    await page.getByRole('menuitem', { name: '基金监管' }).click();
    await page.getByRole('menuitem', { name: '规则与线索' }).click();
    await page.getByRole('heading', { name: '规则与线索' }).waitFor();
    const rules = page.getByTestId('rule-table');
    await expect.poll(() => rules.locator('tbody tr.ant-table-row').count()).toBe(12);
    const split = rules.locator('tr.ant-table-row').filter({ hasText: '分解住院' });
    await split.getByText('间隔天数 15').waitFor();
    // A parameter out of range is refused with its Chinese name; a good one saved with a reason.
    await split.getByRole('button', { name: '修改分解住院' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('出院后若干天内').waitFor();
    await dialog.getByLabel('间隔天数（1～90）').fill('200');
    await dialog.getByLabel('修改理由').fill('按本地政策调整');
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.getByText(/间隔天数.*1 至 90/).waitFor();
    await dialog.getByLabel('间隔天数（1～90）').fill('20');
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await split.getByText('间隔天数 20').waitFor();
    await expect.poll(async () => (await split.locator('td').nth(4).textContent())?.trim()).toBe('2');
    // A run over March: queued, then (its job done) finished with its clues.
    await page.getByLabel('结算日期').fill('2026-03-01');
    await page.getByLabel('至', { exact: true }).fill('2026-03-31');
    await page.getByRole('button', { name: '开始审核' }).click();
    const runRow = page.getByTestId('run-table').locator('tr.ant-table-row').first();
    await runRow.getByText('320115').waitFor();
    const totals = await new JobRuntime(db).register(fundRunJob(db)).drain();
    expect(totals.done).toBe(1);
    await runRow.getByText('已完成').waitFor();
    await runRow.getByText('12/12 条规则').waitFor();
    const clue = page.getByTestId('clue-table').locator('tr.ant-table-row').filter({ hasText: '性别不符' });
    await clue.getByText('WEB-320115-1').waitFor();
    await clue.getByRole('button').first().click();
    const drawer = page.getByTestId('clue-drawer');
    await drawer.getByText('限定性别的项目用于不符的参保人').waitFor();
    await drawer.getByTestId('clue-lines').getByText('TMALE 测试项目TMALE').waitFor();
    await drawer.getByTestId('clue-archives').getByRole('link', { name: archiveCode }).waitFor();
    await drawer.getByLabel('排除理由').fill('核实为正常就诊');
    await drawer.getByRole('button', { name: '排除线索' }).click();
    await drawer.getByText('已排除').waitFor();
    await drawer.getByText('核实为正常就诊').waitFor();
    const text = (await page.content()).replaceAll(/<[^>]+>/g, ' ');
    expect(text).not.toContain(ID);
    expect(errors).toEqual([]);
    await context.close();
  });
});
