import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { plantSettlementSeries } from '../helpers/fund-series.js';
import { gbk } from '../helpers/gbk.js';

// 趋势预测 in a real browser: a 基金监管人员 forecasts the settlements of 江宁 (30 planted months),
// sees the chart with its bands, the backtest against the baselines in words and the forecast table;
// uploads a GBK CSV of 18 months (a simpler model, said so) and a bad one (its lines named).

let server: ConsoleServer;
let browser: Browser;
let supervisor: TestUser;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  supervisor = await testUser(server.system.database.db, { roles: ['supervisor'] });
  await plantSettlementSeries(server.system.database.db, { region: '320115', from: '2023-01', months: 30 });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const months = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    `2024年${(i % 12) + 1}月`.replace('2024', String(2024 + Math.floor(i / 12))),
  );

describe('趋势预测', () => {
  it('forecasts a region, then an uploaded series, and names the bad lines of a bad file', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, supervisor.username, { totpSecret: supervisor.totpSecret });
    await page.getByRole('menuitem', { name: '基金监管' }).click();
    await page.getByRole('menuitem', { name: '趋势预测' }).click();
    await page.getByLabel('统筹区').fill('320115');
    await page.getByLabel('预测月数').fill('6');
    await page.getByRole('button', { name: '预测', exact: true }).click();
    await page.getByRole('img', { name: '结算笔数的历史、预测与预测区间' }).waitFor();
    const notes = page.getByTestId('forecast-notes');
    await expect(notes.textContent()).resolves.toContain('与基线“季节性朴素法（取上年同月值）”相比');
    await page.getByText('结算笔数（统筹区 320115）').waitFor();
    await page.getByRole('cell', { name: '基线', exact: true }).first().waitFor();
    // The chart draws the history, the forecast and both bands.
    await expect(
      page.locator('[aria-label="结算笔数的历史、预测与预测区间"] path').count(),
    ).resolves.toBeGreaterThan(4);
    const rows = page.locator('tr').filter({ hasText: /^2025-(0[7-9]|1[0-2])/ });
    await expect.poll(() => rows.count()).toBe(6);

    const upload = page.locator('input[type=file]');
    const csv = ['月份,数值', ...months(18).map((month, i) => `${month},${100 + 3 * i + (i % 3)}`)].join(
      '\n',
    );
    await upload.setInputFiles({ name: '短序列.csv', mimeType: 'text/csv', buffer: gbk(csv) });
    await page.getByText('短序列.csv', { exact: true }).waitFor();
    await expect(notes.textContent()).resolves.toContain('少于 24 个月');

    await upload.setInputFiles({
      name: '坏序列.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('月份,数值\n2024-01,5\n2024-02,abc\n2024-13,7\n'),
    });
    const problem = page.getByTestId('forecast-error');
    await problem.waitFor();
    await expect(problem.textContent()).resolves.toContain('第 3 行：数值“abc”不是数字');
    await expect(problem.textContent()).resolves.toContain('第 4 行：月份“2024-13”不是 YYYY-MM 格式的月份');
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
