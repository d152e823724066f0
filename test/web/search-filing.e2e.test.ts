import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems, getItem } from '../../src/modules/catalog/item.service.js';
import { renderScanPage } from '../../src/modules/demo/scan-pages.js';
import { scanPages } from '../../src/modules/scan/scan.service.js';
import { catchUpIndex } from '../../src/modules/search/indexer.js';
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
import { FONDS, reimbursement, validId, wrongCheckId } from '../helpers/fixtures.js';

// The filing and search pages in a real browser, as one clerk's day: file an item through the form
// (a wrong ID check digit is caught beside its field first), upload a 300 dpi scan of it, find it by
// a word of its title with the word marked, narrow by a facet, keep the search as a 检索方案, and
// import a ledger whose bad row is reported with its reason.

const PERSON_FIRST17 = '32011519700101123';
const HOSPITAL = '江宁骨伤科医院';

let server: ConsoleServer;
let browser: Browser;
let user: TestUser;
let session: ConsolePage;
let page: Page;
/** The 档号 the form filed; later steps upload to it and search for it. */
let filedCode = '';

const db = () => server.system.database.db;
/** Waits for what the page shows; a search or an upload may take seconds on a busy machine. */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000 });

/** The validation message shown beside a form field (antd puts it in the field's Form.Item). */
const fieldError = (label: string) =>
  page
    .locator('.ant-form-item')
    .filter({ has: page.getByLabel(label, { exact: true }) })
    .locator('.ant-form-item-explain-error');

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  user = await testUser(db(), { roles: ['archivist', 'clerk'] });
  // Two more items with the title word, in other years, so a year facet has something to narrow.
  await fileItems(
    db(),
    [
      reimbursement({
        title: `周文 零星报销审核表（${HOSPITAL}）`,
        date: '2022-06-01',
        idNumber: validId('32011519800101221'),
      }),
      reimbursement({
        title: `吴静 零星报销审核表（${HOSPITAL}）`,
        date: '2023-06-01',
        idNumber: validId('32011519800101222'),
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  session = await openConsole(browser, server);
  page = session.page;
  await signIn(page, user.username);
}, 180_000);

afterAll(async () => {
  await session?.context.close();
  await browser?.close();
  await server?.close();
});

describe('著录归档, scans, search and import', () => {
  it('files an item through the form after the ID number’s check digit is corrected', async () => {
    await page.goto('/filing/new');
    await page.getByRole('combobox', { name: '全宗' }).click();
    await page.locator(`.ant-select-item-option[title="${FONDS.code} ${FONDS.name}"]`).click();
    await page.getByRole('combobox', { name: '类别' }).fill('个人零星');
    await page.getByTitle('JSLX 个人零星报销').click();
    // The category's own field appears once the category is chosen.
    await page.getByLabel('就诊医疗机构').waitFor();
    await page.getByLabel('题名').fill(`孙立新 个人零星医疗费用报销审核表（${HOSPITAL}）`);
    await page.getByLabel('日期', { exact: true }).fill('2024-03-15');
    await page.getByLabel('日期', { exact: true }).press('Enter');
    await page.getByLabel('机构/问题').fill('jsk');
    await page.getByLabel('姓名').fill('孙立新');
    await page.getByLabel('身份证号').fill(wrongCheckId(PERSON_FIRST17));
    await page.getByLabel('金额').fill('268.5');
    await page.getByLabel('就诊医疗机构').fill(HOSPITAL);
    await page.getByRole('button', { name: '归档', exact: true }).click();
    await expect
      .poll(() => fieldError('身份证号').textContent())
      .toBe('身份证号校验码错误（末位与前17位不符）');
    await screenshot(page, 'filing-id-check-digit');

    await page.getByLabel('身份证号').fill(validId(PERSON_FIRST17));
    await poll(() => fieldError('身份证号').count()).toBe(0);
    await page.getByRole('button', { name: '归档', exact: true }).click();
    await page.getByTestId('filed-code').waitFor();
    filedCode = (await page.getByTestId('filed-code').textContent()) ?? '';
    expect(filedCode).toMatch(/^J013-JSLX·2024-D30-JSK-\d{4}$/);
    await screenshot(page, 'filing-filed');

    const item = await getItem(db(), filedCode, SYSTEM);
    expect(item).toMatchObject({
      title: `孙立新 个人零星医疗费用报销审核表（${HOSPITAL}）`,
      org: 'JSK',
      amount: '268.50',
      createdBy: user.username,
      extra: { hospital: HOSPITAL },
    });
    expect(session.errors).toEqual([]);
  });

  it('uploads a 300 dpi PNG scan to the new item and lists its page', async () => {
    expect(filedCode).not.toBe('');
    await page.getByRole('button', { name: '上传电子文件与扫描件' }).click();
    await page.waitForURL('**/filing/scans?item=*');
    const png = await renderScanPage({
      lines: ['个人零星医疗费用报销审核表', '姓名：孙立新'],
      widthMm: 105,
      heightMm: 148,
    });
    await page.getByLabel('扫描件').setInputFiles({ name: 'page-1.png', mimeType: 'image/png', buffer: png });
    await page.getByText('已存 1 页（PNG）').waitFor();
    const row = page.getByRole('row').filter({ hasText: `${filedCode}-0001` });
    await poll(() => row.textContent()).toContain('300 dpi');
    await screenshot(page, 'filing-scan-uploaded');

    const pages = await scanPages(db(), filedCode, SYSTEM);
    expect(pages.map((stored) => [stored.page, stored.dpiX])).toEqual([[1, 300]]);
    expect(session.errors).toEqual([]);
  });

  it('finds the item by a word of its title, marked, and narrows by a facet', async () => {
    await catchUpIndex(db());
    await page.goto('/search');
    await page.getByLabel('检索词').fill('骨伤科');
    await page.getByLabel('检索词').press('Enter');
    await poll(() => page.getByTestId('search-total').textContent()).toBe('共 3 件');
    const hit = page
      .getByRole('listitem')
      .filter({ has: page.getByRole('link', { name: `档号 ${filedCode}` }) });
    await poll(() => hit.locator('mark').allTextContents()).toContain('骨伤科');
    // The category's own field is named in Chinese beside its snippet.
    await expect(hit.textContent()).resolves.toContain(`就诊医疗机构：${HOSPITAL}`);
    await expect(hit.getByRole('link', { name: `档号 ${filedCode}` }).getAttribute('href')).resolves.toBe(
      `/items/${encodeURIComponent(filedCode)}`,
    );

    const facets = page.getByRole('navigation', { name: '分面统计' });
    await facets.getByRole('button', { name: /^2024年/ }).click();
    await poll(() => page.getByTestId('search-total').textContent()).toBe('共 1 件');
    expect(new URL(page.url()).searchParams.get('yearFrom')).toBe('2024');
    await expect(facets.getByRole('button', { name: /^2024年/ }).getAttribute('aria-pressed')).resolves.toBe(
      'true',
    );
    await screenshot(page, 'search-facet');
    expect(session.errors).toEqual([]);
  });

  it('keeps the search as a 检索方案 and restores it', async () => {
    await page.getByRole('button', { name: '保存检索方案' }).click();
    await page.getByRole('dialog').getByLabel('名称').fill('骨伤科2024');
    await page.getByRole('button', { name: '保存', exact: true }).click();
    await page.getByText('已保存检索方案“骨伤科2024”').waitFor();
    const stored = await server.app.inject({
      method: 'GET',
      url: '/api/v1/saved-searches',
      headers: user.headers,
    });
    expect(stored.json()).toMatchObject({
      searches: [{ name: '骨伤科2024', query: '骨伤科', filters: { yearFrom: 2024, yearTo: 2024 } }],
    });

    await page.goto('/search');
    await page.getByRole('combobox', { name: '检索方案' }).click();
    await page.keyboard.press('Enter');
    await poll(() => page.getByTestId('search-total').textContent()).toBe('共 1 件');
    await expect(page.getByLabel('检索词').inputValue()).resolves.toBe('骨伤科');
    expect(new URL(page.url()).searchParams.get('yearTo')).toBe('2024');
    await screenshot(page, 'search-saved-restored');
    expect(session.errors).toEqual([]);
  });

  it('imports a small CSV and reports the bad row’s issue', async () => {
    const header = '全宗号,类别,机构,题名,责任者,日期,身份证号,姓名,金额,extra.hospital';
    const row = (name: string, id: string) =>
      `J013,JSLX,JSK,${name} 零星报销审核表,南京市江宁区医疗保障局,2024-05-02,${id},${name},88.00,江宁医院`;
    const csv = [
      header,
      row('郑好', validId('32011519800101331')),
      row('钱多', wrongCheckId('32011519800101332')),
    ].join('\n');
    await page.goto('/filing/import');
    await page
      .getByLabel('导入文件')
      .setInputFiles({ name: 'ledger.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: '开始导入' }).click();
    await page.getByText('导入结果：ledger.csv').waitFor();
    const bad = page.getByRole('row').filter({ has: page.getByRole('cell', { name: '3', exact: true }) });
    await expect(bad.textContent()).resolves.toContain('身份证号校验码错误（末位与前17位不符）');
    await expect(bad.textContent()).resolves.toContain('未通过');
    const good = page.getByRole('row').filter({ has: page.getByRole('cell', { name: '2', exact: true }) });
    const goodCode = (await good.getByRole('link').textContent()) ?? '';
    await expect(getItem(db(), goodCode, SYSTEM)).resolves.toMatchObject({ title: '郑好 零星报销审核表' });

    await page.getByLabel('仅看有问题的行').click();
    await poll(() => page.locator('.ant-table-tbody tr.ant-table-row').count()).toBe(1);
    await screenshot(page, 'import-report');
    expect(session.errors).toEqual([]);
  });
});
