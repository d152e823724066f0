import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
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
import { gbk } from '../helpers/gbk.js';
import { extractCsv, inpatient, outpatient, personId } from '../helpers/settlement-extract.js';

// 结算数据 in a real browser: a 基金监管人员 of 江宁 opens the page from the sidebar, uploads a GBK
// extract with one bad settlement and sees the report row by row, finds the imported settlements in
// the list with the person masked, and opens one: its lines and the archive filed for its serial.

let server: ConsoleServer;
let browser: Browser;
let supervisor: TestUser;
const PERSON = personId('32011519690909061');
const masked = `${PERSON.slice(0, 6)}********${PERSON.slice(-4)}`;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const db = server.system.database.db;
  supervisor = await testUser(db, {
    roles: ['supervisor'],
    scope: [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
  });
  await fileItems(
    db,
    [reimbursement({ extra: { hospital: '江宁医院', settlementSerial: 'WEB002' } })],
    'test',
    {
      access: SYSTEM,
    },
  );
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('结算数据', () => {
  it('uploads an extract, shows the report, lists the settlements masked and opens one with its archive', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, supervisor.username, { totpSecret: supervisor.totpSecret });
    await page.getByRole('menuitem', { name: '基金监管' }).click();
    await page.getByRole('menuitem', { name: '结算数据' }).click();
    await page.getByRole('heading', { name: '结算数据' }).waitFor();
    const extract = gbk(
      extractCsv([
        outpatient('WEB001', { idNumber: PERSON }),
        inpatient('WEB002', { idNumber: PERSON }),
        outpatient('WEB003', {
          idNumber: PERSON,
          lines: [{ code: 'NOSUCHITEM', quantity: '1', price: '5.00', date: '2025-03-10' }],
        }),
      ]),
    );
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: '三月结算.csv', mimeType: 'text/csv', buffer: extract });
    await page.getByTestId('chosen-file').getByText('三月结算.csv').waitFor();
    await page.getByRole('button', { name: '开始导入' }).click();
    const report = page.getByTestId('import-report');
    await report.getByText(/导入 2 笔，跳过 0 笔，未导入 1 笔/).waitFor();
    await report.getByText('医保目录中没有项目编码“NOSUCHITEM”').waitFor();
    // The list: the imported settlements, the person masked.
    await page.getByRole('button', { name: '查询' }).click();
    const table = page.getByTestId('settlement-table');
    await table.getByText('WEB002').waitFor();
    await table.getByText(masked).first().waitFor();
    await table.getByRole('link', { name: 'WEB002' }).click();
    await page.getByRole('heading', { name: '结算 WEB002' }).waitFor();
    await page.getByTestId('settlement-lines').getByText('普通病房床位费（三人间）').first().waitFor();
    await page
      .getByTestId('settlement-archives')
      .getByRole('link', { name: /^J013-/ })
      .waitFor();
    const text = (await page.content()).replaceAll(/<[^>]+>/g, ' ');
    expect(text).not.toContain(PERSON);
    expect(errors).toEqual([]);
    await context.close();
  });
});
