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
import { plantFundWorld } from '../helpers/fund-anomaly-probes.js';
import { IN_PEOPLE, OUT_PEOPLE } from '../helpers/scope-fixture.js';

// 异常机构 in a real browser: a supervisor of 江宁 opens the page from the sidebar on a linked period,
// sees 江宁第8医院 flagged with its explanation and the chart of its peers, the groups below with
// members masked; switching to people shows masked ID numbers; nothing of 六合 and no ID number in
// the clear anywhere on the page.

let server: ConsoleServer;
let browser: Browser;
let supervisor: TestUser;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const db = server.system.database.db;
  supervisor = await testUser(db, {
    roles: ['supervisor'],
    scope: [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
  });
  await plantFundWorld(db);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;

describe('异常机构', () => {
  it('shows the flagged institution with its explanation and peer chart, the groups, and people masked', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, supervisor.username, { totpSecret: supervisor.totpSecret });
    await page.getByRole('menuitem', { name: '基金监管' }).click();
    await page.getByRole('menuitem', { name: '异常机构' }).click();
    // The page's chunk and first answer come slowly beside CI's other lane (it once took over 30 s there).
    await page.getByRole('heading', { name: '异常机构' }).waitFor({ timeout: 90_000 });
    await page.goto('/fund/anomalies?from=2026-01-01&to=2026-06-30');
    const row = page.getByTestId('anomaly-table').locator('tr').filter({ hasText: '江宁第8医院' });
    await row
      .getByText(
        /^次均费用 6,000\.00 元，同级（二级）同统筹区 8 家机构中位数 [\d,]+\.\d\d 元，高出 \d+\.\d 个稳健标准差$/,
      )
      .waitFor();
    // The chart of the chosen flag's measure against its eight peers, the median marked.
    const chart = page.getByRole('img', { name: '次均费用与同组机构比较图' });
    await chart.waitFor();
    await expect.poll(() => chart.locator('path, rect').count()).toBeGreaterThanOrEqual(8);
    await page.getByTestId('peer-chart').getByText('同级（二级）同统筹区（320115）8 家机构').waitFor();
    // The groups: a 高风险 group whose members, when opened, are masked ID numbers.
    const groups = page.getByTestId('group-table');
    await groups.getByText('高风险').first().waitFor();
    await groups.getByRole('button', { name: /展开/ }).first().click();
    await groups
      .getByText(/成员（脱敏/)
      .first()
      .waitFor();
    // People: the frequent visitor by a masked ID number.
    await page.goto(
      '/fund/anomalies?from=2026-01-01&to=2026-06-30&kind=person&measure=visits_per_month&minVolume=1',
    );
    await page.getByTestId('anomaly-table').getByText(masked(IN_PEOPLE.item.id)).first().waitFor();
    const text = (await page.content()).replaceAll(/<[^>]+>/g, ' ');
    for (const id of [IN_PEOPLE.item.id, IN_PEOPLE.roster.id, ...Object.values(OUT_PEOPLE).map((p) => p.id)])
      expect(text).not.toContain(id);
    expect(text).not.toContain('六合');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
