import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { beijingIso } from '../../src/shared/beijing-time.js';
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

// 考核指标 in a real browser: a J013 archivist sees the current year's indicators on the 首页 card,
// opens 基金监管 → 考核指标, reads how 档案完整率 is computed beside it, and downloads the 考核报告;
// J014's items, filed this year too, appear nowhere.

const YEAR = Number((beijingIso(new Date()) as string).slice(0, 4));
let server: ConsoleServer;
let browser: Browser;
let archivist: TestUser;
const db = () => server.system.database.db;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  archivist = await testUser(db(), {
    roles: ['archivist'],
    scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
  });
  const paper = {
    carrier: 'paper',
    paperLocation: { warehouse: '一号库', cabinet: '01', shelf: '2', box: '0003' },
  };
  await fileItems(
    db(),
    [
      // Paper, no scan: complete, not digitised; electronic without a file: incomplete.
      reimbursement({ date: `${YEAR}-01-01`, ...paper }),
      reimbursement({ date: `${YEAR}-01-01` }),
      reimbursement({ date: `${YEAR}-01-01`, fonds: 'J014', poolingRegion: '320116' }),
    ],
    'test',
    { access: SYSTEM },
  );
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('考核指标', () => {
  it('shows the card, the table with each computation, and downloads the report', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, archivist.username, { totpSecret: archivist.totpSecret });
    const card = page.getByTestId('kpi-card');
    await card.getByText(`${YEAR}年度档案完整率`).waitFor();
    await card.getByText('50.00%').waitFor();
    await card.getByRole('link', { name: '考核指标' }).click();
    await page.getByRole('heading', { name: '考核指标' }).waitFor();
    const row = page.locator('tr').filter({ hasText: 'J013' }).first();
    await row.getByText('1/2').first().waitFor();
    await expect(page.getByText('J014').count()).resolves.toBe(0);
    await page.getByLabel('档案完整率的计算方法').first().hover();
    await page
      .locator('.ant-tooltip')
      .getByText(/分母：本年度档案件数/)
      .first()
      .waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '考核报告 XLSX' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`考核报告-${YEAR}.xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(fs.readFileSync(await download.path()) as never);
    const sheets = workbook.worksheets.map((sheet) => sheet.name);
    expect(sheets).toEqual(expect.arrayContaining(['考核指标', '计算方法']));
    // A unit outside the scope answers as one that does not exist.
    await page.getByLabel('全宗号').fill('J014');
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByText('全宗“J014”不存在').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
