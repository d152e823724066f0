import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItem } from '../../src/modules/catalog/item.service.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsolePage,
  type ConsoleServer,
  expectChineseGlyphs,
  launchBrowser,
  openConsole,
  screenshot,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { idOf, rosterEntry, storeRoster } from '../helpers/roster.js';

// The 医保扶贫 page in a real browser, as a clerk's task: check 民政's three-row list against the
// roster (one row matches, one misspells the name, one person has stopped paying), hand back the
// correction list (also from the recent runs, whose links stay in view at 1366×768), then preview a
// 两病台账 (nothing filed), and file it with its 档号, and import a roster extract. A role without the
// work does not see the page at all. The fonds J013 comes with the console server.

const A = idOf('32011519800101101');
const B = idOf('32011519850202202');

let server: ConsoleServer;
let browser: Browser;
let clerk: TestUser;
let session: ConsolePage;
let page: Page;

const db = () => server.system.database.db;

/** The count the result's table shows for an outcome (its second cell). */
const countOf = (outcome: string) =>
  page
    .getByTestId('reconcile-result')
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: outcome, exact: true }) })
    .getByRole('cell')
    .nth(1)
    .textContent();

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const assisted = rosterEntry('张三丰', A);
  assisted.statuses = [{ identity: 'poverty', source: '扶贫办', includedOn: '2020-01-01', exitedOn: null }];
  assisted.certificates = [
    { kind: 'hypertension', disease: '高血压', issuedOn: '2021-05-01', revokedOn: null },
  ];
  await storeRoster(db(), [assisted, rosterEntry('李娜', B, { enrolled: false })]);
  clerk = await testUser(db(), { roles: ['clerk'] });
  session = await openConsole(browser, server);
  page = session.page;
  await signIn(page, clerk.username);
}, 180_000);

afterAll(async () => {
  await session?.context.close();
  await browser?.close();
  await server?.close();
});

describe('医保扶贫', () => {
  it('checks a list from 民政 and hands back the correction list', async () => {
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '医保扶贫' }).click();
    await page.getByRole('heading', { name: '医保扶贫' }).waitFor();
    await page.getByRole('combobox', { name: '来文单位' }).click();
    await page.locator('.ant-select-item-option[title="民政"]').click();
    const csv = `姓名,身份证号,人员类别\n张三丰,${A},低保\n张三峰,${A},低保\n李娜,${B},低保\n`;
    await page
      .getByLabel('名单文件')
      .setInputFiles({ name: '民政低保名单.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: '开始核对' }).click();
    const result = page.getByTestId('reconcile-result');
    await result.waitFor({ timeout: 20_000 });
    await expect(result.textContent()).resolves.toContain('核对结果：民政低保名单.csv（民政');
    await expect(countOf('核对一致')).resolves.toBe('1');
    await expect(countOf('姓名同音字')).resolves.toBe('1');
    await expect(countOf('已登记未参保')).resolves.toBe('1');
    await expect(countOf('重复行')).resolves.toBe('0');
    await expect(
      result.locator('.ant-statistic').filter({ hasText: '需督促参保缴费' }).textContent(),
    ).resolves.toContain('1人');
    // The run is listed below with its own links, for handing back later.
    const listed = page.getByRole('row').filter({ hasText: '民政低保名单.csv' });
    await expect.poll(() => listed.textContent(), { timeout: 20_000 }).toContain('姓名同音字 1');
    await expectChineseGlyphs(page);
    await screenshot(page, 'poverty-reconciled');

    const [saved] = await Promise.all([
      page.waitForEvent('download'),
      result.getByRole('button', { name: '返回更正清单' }).click(),
    ]);
    expect(saved.suggestedFilename()).toBe('民政低保名单.返回更正清单.xlsx');

    // At the most common office screen, the recent runs' download links are in view, not cut off.
    await page.setViewportSize({ width: 1366, height: 768 });
    const recent = page.locator('.ant-card').filter({ has: page.getByText('近期核对', { exact: true }) });
    const link = listed.getByRole('button', { name: '参保缴费待办清单' });
    await link.scrollIntoViewIfNeeded();
    const [card, box] = [await recent.boundingBox(), await link.boundingBox()];
    expect(box && card && box.x >= card.x && box.x + box.width <= card.x + card.width).toBe(true);
    expect(box && box.x + box.width <= 1366).toBe(true);
    await screenshot(page, 'poverty-recent-1366');
    const [again] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(again.suggestedFilename()).toBe('民政低保名单.参保缴费待办清单.xlsx');
    await page.setViewportSize({ width: 1400, height: 900 });
    expect(session.errors).toEqual([]);
  });

  it('shows a refused period beside its field, previews a 两病台账 without filing it, then files it with its 档号, cover and its PDF saved', async () => {
    const filedLedgers = async () =>
      Number(
        (
          await db()
            .selectFrom('archive_item')
            .innerJoin('category', 'category.id', 'archive_item.category_id')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('category.code', '=', 'FPTZ')
            .executeTakeFirstOrThrow()
        ).n,
      );
    await page.getByRole('tab', { name: '编制台账' }).click();
    // The server's own check of the period is shown beside the period's field.
    await page.getByText('待遇享受台账', { exact: true }).click();
    await page.getByPlaceholder('起始日期').fill('2024-01-01');
    await page.getByPlaceholder('起始日期').press('Enter');
    await page.getByPlaceholder('截止日期').fill('2025-06-30');
    await page.getByPlaceholder('截止日期').press('Enter');
    await page.getByRole('button', { name: '预览' }).click();
    await expect
      .poll(() => page.locator('.ant-form-item-explain-error').textContent(), { timeout: 20_000 })
      .toBe('期间过长（547 天），一册待遇享受台账最多 400 天');

    await page.getByText('两病台账', { exact: true }).click();
    await page.getByText('截至某日持有高血压、糖尿病门诊用药认定的人员').waitFor();
    await page.getByLabel('截至日期').fill('2026-06-30');
    await page.getByLabel('截至日期').press('Enter');
    await page.getByRole('button', { name: '预览', exact: true }).click();
    // The preview: its cover, its rows masked, its files marked, and nothing filed.
    const shown = page.getByTestId('ledger-preview');
    await shown.waitFor({ timeout: 20_000 });
    await expect(shown.textContent()).resolves.toContain('预览 · 未归档');
    await expect(shown.getByRole('row').filter({ hasText: '办理人数' }).textContent()).resolves.toContain(
      '1 人',
    );
    const row = shown.getByRole('row').filter({ hasText: '张*丰' });
    await expect(row.textContent()).resolves.toContain('高血压');
    await expect(row.textContent()).resolves.toContain(`${A.slice(0, 6)}********${A.slice(-4)}`);
    expect(await filedLedgers()).toBe(0);
    await screenshot(page, 'poverty-ledger-preview');
    const [draft] = await Promise.all([
      page.waitForEvent('download'),
      shown.getByRole('button', { name: /下载 两病台账-截至2026-06-30-预览\.pdf/ }).click(),
    ]);
    expect(draft.suggestedFilename()).toBe('两病台账-截至2026-06-30-预览.pdf');
    expect(
      fs
        .readFileSync((await draft.path()) as string)
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    expect(await filedLedgers()).toBe(0);

    await shown.getByRole('button', { name: '归档' }).click();
    const code = page.getByTestId('ledger-code');
    await code.waitFor({ timeout: 20_000 });
    const archiveCode = (await code.textContent()) ?? '';
    expect(archiveCode).toMatch(/^J013-FPTZ/);
    const ledger = page.getByTestId('ledger-result');
    const handled = ledger.getByRole('row').filter({ hasText: '办理人数' });
    await expect(handled.textContent()).resolves.toContain('1 人');
    await expect(getItem(db(), archiveCode, SYSTEM)).resolves.toMatchObject({
      sensitivity: 'sensitive',
      createdBy: clerk.username,
    });
    await screenshot(page, 'poverty-ledger');

    // The maker saves the files now, from the answer: nothing is made or filed a second time.
    const [pdf] = await Promise.all([
      page.waitForEvent('download'),
      ledger.getByRole('button', { name: /下载 两病台账-截至2026-06-30\.pdf/ }).click(),
    ]);
    expect(pdf.suggestedFilename()).toBe('两病台账-截至2026-06-30.pdf');
    const saved = fs.readFileSync((await pdf.path()) as string);
    expect(saved.subarray(0, 5).toString()).toBe('%PDF-');
    expect(await filedLedgers()).toBe(1);
    expect(session.errors).toEqual([]);
  });

  it('checks a roster extract first, then imports it, listing a refused row by its line', async () => {
    const people = async () =>
      Number(
        (
          await db()
            .selectFrom('insured_person')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await people();
    await page.getByRole('tab', { name: '参保名册' }).click();
    const fresh = idOf('32011519910411121');
    const csv = `姓名,身份证号,参保类别,参保时间\n周杰,${fresh},居民,2022-01-01\n吴刚,${fresh.slice(0, 17)}${fresh.endsWith('9') ? '8' : '9'},居民,2022-01-01\n`;
    await page
      .getByLabel('名册文件')
      .setInputFiles({ name: '参保名册.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: '检查名册' }).click();
    const result = page.getByTestId('roster-result');
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('试导入结果（未写入）');
    await expect(result.textContent()).resolves.toContain('新增 1，更新 0，未变 0');
    expect(await people()).toBe(before);
    const refused = result
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: '3', exact: true }) });
    await expect(refused.textContent()).resolves.toContain('身份证号');

    await page.getByRole('checkbox', { name: '仅检查，不写入' }).uncheck();
    await page.getByRole('button', { name: '导入名册' }).click();
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('导入结果：参保名册.csv');
    expect(await people()).toBe(before + 1);
    expect(await page.textContent('body')).not.toContain(fresh.slice(0, 14));
    await screenshot(page, 'poverty-roster');
    expect(session.errors).toEqual([]);
  });

  it('is not offered to a role without the 医保扶贫 work', async () => {
    const auditor = await testUser(db(), { roles: ['auditor'] });
    const other = await openConsole(browser, server);
    await signIn(other.page, auditor.username, { totpSecret: auditor.totpSecret });
    const menu = await other.page.getByRole('navigation', { name: '主导航' }).textContent();
    expect(menu).toContain('审计');
    expect(menu).not.toContain('医保扶贫');
    await other.page.goto('/poverty');
    await other.page.getByText('无权访问').waitFor();
    await other.context.close();
    expect(other.errors).toEqual([]);
  });
});
