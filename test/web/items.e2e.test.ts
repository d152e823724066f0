import { Readable } from 'node:stream';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileItems, getItem } from '../../src/modules/catalog/item.service.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { testUser } from '../helpers/access.js';
import {
  type ConsolePage,
  type ConsoleServer,
  clickUntil,
  expectChineseGlyphs,
  launchBrowser,
  openConsole,
  screenshot,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { eventsOf } from '../helpers/file-service.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { reimbursement, validId } from '../helpers/fixtures.js';

// 档案管理 in a real browser: the category tree filters the list, the cursor pages go forward and
// back, a column hidden at this width can be shown; an item's metadata and paper location, an edit
// through the drawer that shows up as version 2 in the comparison, a watermarked PDF opened in the
// page, the item's events with an inclusion proof checked in the browser, and a sensitive item
// asked for.

const JSLX_COUNT = 23;
let server: ConsoleServer;
let browser: Browser;
let archivist: ConsolePage;
let archivistName: string;
let firstCode: string;
let sensitiveCode: string;

async function onePagePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  page.drawText('Reimbursement review form', {
    x: 60,
    y: 760,
    size: 20,
    font: await doc.embedFont(StandardFonts.Helvetica),
  });
  return Buffer.from(await doc.save());
}

const itemUrl = (code: string) => `/items/${encodeURIComponent(code)}`;

beforeAll(async () => {
  server = await startConsoleServer();
  const db = server.system.database.db;
  const reimbursements = Array.from({ length: JSLX_COUNT }, (_, index) =>
    reimbursement({
      title: `报销人${index + 1} 个人零星医疗费用报销审核表`,
      name: `报销人${index + 1}`,
      idNumber: validId(`3201151985031${String(1000 + index)}`),
      carrier: 'paper',
      paperLocation: {
        warehouse: '5号库房',
        cabinet: '12',
        shelf: '3',
        box: `${String(index + 1).padStart(4, '0')}`,
      },
    }),
  );
  const accounts = [1, 2, 3].map((index) =>
    reimbursement({
      category: 'ZH',
      org: 'CBK',
      title: `账户人${index} 个人账户转移申请表`,
      name: `账户人${index}`,
      amount: undefined,
      extra: {},
      ...(index === 3 ? { sensitivity: 'sensitive' } : {}),
    }),
  );
  const filed = await fileItems(db, [...reimbursements, ...accounts], 'test', { access: SYSTEM });
  firstCode = filed[0]?.archiveCode as string;
  sensitiveCode = filed.at(-1)?.archiveCode as string;
  const user = await testUser(db, { roles: ['archivist'] });
  archivistName = user.username;
  browser = await launchBrowser();
  archivist = await openConsole(browser, server);
  await signIn(archivist.page, user.username);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('档案列表', () => {
  it('filters by the category tree, pages by cursor forward and back, and shows a column hidden at this width', async () => {
    const { page, errors } = archivist;
    await page.goto('/items');
    await page.getByRole('tree').getByText('个人零星报销').click();
    await page.getByText('类别：个人零星报销（含下级类别）').waitFor();
    await page.getByLabel('每页条数').click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '20 条/页' })
      .click();
    await page.waitForURL(/limit=20/);
    const codes = page.locator('tbody tr td a');
    await expect.poll(() => codes.count()).toBe(20);
    const firstPage = await codes.allTextContents();
    expect(firstPage.every((code) => code.includes('-JSLX·'))).toBe(true);
    expect(page.url()).toContain('category=JSLX');

    // Clicked again if the click lands while the page-size dropdown still closes. Page 2 has no next
    // page, so a second click can never go past it.
    await clickUntil(page.getByRole('button', { name: /下一页/ }), async () => page.url().includes('after='));
    await page.getByText(`第 2 页，本页 ${JSLX_COUNT - 20} 件`).waitFor();
    const secondPage = await codes.allTextContents();
    expect(secondPage).toHaveLength(JSLX_COUNT - 20);
    expect(secondPage.some((code) => firstPage.includes(code))).toBe(false);
    await expect.poll(() => page.getByRole('button', { name: /下一页/ }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: /上一页/ }).click();
    await page.getByText('第 1 页，本页 20 件').waitFor();
    expect(await codes.allTextContents()).toEqual(firstPage);

    // At this width the ID number is not among the columns shown by default; 列设置 shows it (masked),
    // the choice survives a reload, and 恢复默认 goes back to the columns that fit.
    const idHeader = page.getByRole('columnheader', { name: '身份证号' });
    expect(await idHeader.count()).toBe(0);
    await page.getByRole('button', { name: '列设置' }).click();
    // Clicked again if the click lands while the popover still opens, never while one takes effect.
    const idColumn = page.getByRole('checkbox', { name: '身份证号' });
    await idColumn.waitFor();
    expect(await idColumn.isChecked()).toBe(false);
    await clickUntil(
      idColumn,
      async () => (await idHeader.count()) === 1,
      async () => !(await idColumn.isChecked()),
    );
    expect(await page.locator('tbody').textContent()).toContain('********');
    await page.reload();
    await codes.first().waitFor();
    expect(await idHeader.count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: '题名' }).count()).toBe(1);
    // Remembered for this user: another account signed in on the same browser gets the default.
    const other = await testUser(server.system.database.db, { roles: ['archivist'] });
    const switchTo = async (username: string) => {
      await page.getByRole('button', { name: '退出' }).click();
      await page.waitForURL('**/login');
      await signIn(page, username);
      await page.goto('/items?category=JSLX');
      await codes.first().waitFor();
    };
    await switchTo(other.username);
    expect(await idHeader.count()).toBe(0);
    await switchTo(archivistName);
    expect(await idHeader.count()).toBe(1);
    await page.getByRole('button', { name: '列设置' }).click();
    await clickUntil(
      page.getByRole('button', { name: '恢复默认' }),
      async () => (await idHeader.count()) === 0,
    );
    await page.reload();
    await codes.first().waitFor();
    expect(await idHeader.count()).toBe(0);

    await expectChineseGlyphs(page);
    await screenshot(page, 'items-list');
    expect(errors).toEqual([]);
  });
});

describe('档案详情', () => {
  it('shows the metadata and paper location, and an edit with a reason becomes version 2 in the comparison', async () => {
    const { page, errors } = archivist;
    await page.goto(`/items?category=JSLX&limit=20`);
    await page.getByRole('link', { name: firstCode }).click();
    await page.getByRole('heading', { name: firstCode }).waitFor();
    expect(page.url()).toContain(itemUrl(firstCode));

    const location = page.getByLabel('纸质存放位置', { exact: true });
    await expect.poll(() => location.textContent()).toBe('库房 5号库房柜 12层 3盒 0001');
    const body = await page.locator('main').textContent();
    expect(body).toContain('报**1 个人零星医疗费用报销审核表');
    expect(body).toContain('定期30年');
    expect(body).toContain('就诊医疗机构');
    expect(body).toContain('江宁医院');
    await screenshot(page, 'item-detail');

    await page.getByRole('button', { name: '修改' }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByLabel('纸质存放位置·盒').fill('0099');
    await drawer.getByRole('button', { name: '保存' }).click();
    await drawer.getByText('请填写修改原因（记入版本历史）').waitFor();
    await drawer.getByLabel('修改原因').fill('库房盘点发现盒号登记错误');
    await drawer.getByRole('button', { name: '保存' }).click();
    await page.getByText('已保存为第 2 版').waitFor();

    const stored = await getItem(server.system.database.db, firstCode, SYSTEM);
    expect(stored.version).toBe(2);
    expect(stored.paperLocation).toEqual({ warehouse: '5号库房', cabinet: '12', shelf: '3', box: '0099' });
    expect(stored.changeReason).toBe('库房盘点发现盒号登记错误');
    expect(stored.name).toBe('报销人1');
    await expect.poll(() => location.textContent()).toBe('库房 5号库房柜 12层 3盒 0099');

    await page.getByRole('tab', { name: /版本历史/ }).click();
    await page.getByText('库房盘点发现盒号登记错误').first().waitFor();
    expect(await page.getByText('第 2 版').count()).toBeGreaterThan(0);
    await page.getByText('共 1 个字段不同').waitFor();
    const changed = page.locator('tr', { has: page.locator('del') });
    expect(await changed.count()).toBe(1);
    expect(await changed.locator('td').first().textContent()).toBe('纸质存放位置');
    expect(await changed.locator('del').textContent()).toBe('5号库房 12柜 3层 0001盒');
    expect(await changed.locator('ins').textContent()).toBe('5号库房 12柜 3层 0099盒');
    await screenshot(page, 'item-versions');
    expect(errors).toEqual([]);
  });

  it('opens the watermarked copy of an attached PDF in the page', async () => {
    const { page, errors } = archivist;
    await addFile(
      { access: SYSTEM, db: server.system.database.db, store: server.system.store },
      firstCode,
      { stream: Readable.from([await onePagePdf()]), fileName: '报销审核表.pdf' },
      'test',
    );
    await page.goto(`${itemUrl(firstCode)}?tab=files`);
    await page.getByText('报销审核表.pdf').waitFor();
    expect(await page.locator('tbody').textContent()).toContain('application/pdf');
    await page.getByRole('button', { name: '查看' }).click();
    const ask = page.getByRole('dialog');
    await ask.getByLabel('用途').fill('待遇复核');
    await ask.getByRole('button', { name: '查看' }).click();
    const frame = page.locator('iframe');
    await frame.waitFor();
    expect(await frame.getAttribute('src')).toMatch(/^blob:/);
    await page.getByText('查看：报销审核表.pdf（已加水印）').waitFor();
    await page.waitForTimeout(1500); // the browser's PDF viewer draws the page after the frame loads
    await screenshot(page, 'item-file-viewer');

    const reads = await eventsOf(server.system, 'file.read', `item:${firstCode}`);
    expect(reads).toHaveLength(1);
    expect(reads[0]?.payload.purpose).toBe('待遇复核');
    expect(reads[0]?.actor).toBe(archivistName);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('iframe').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('lists the item events and verifies an inclusion proof in the browser', async () => {
    const { page, errors } = archivist;
    await page.getByRole('tab', { name: '事件' }).click();
    const rows = page.locator('tbody tr');
    await page.getByText('修改档案').first().waitFor();
    const text = await page.locator('tbody').textContent();
    expect(text).toContain('归档');
    expect(text).toContain('挂接文件');
    expect(text).toContain('调阅文件');
    expect(text).toContain('字段：纸质存放位置');
    // Each opening of an item naming a person is a look (查阅档案) the person may ask about; the rest
    // are the four changes and reads above.
    expect(await rows.filter({ hasText: '查阅档案' }).count()).toBeGreaterThan(0);
    expect(await rows.filter({ hasNotText: '查阅档案' }).count()).toBe(4);

    await rows.filter({ hasText: '修改档案' }).getByRole('button', { name: '包含证明' }).click();
    const proof = page.getByRole('dialog');
    await proof.getByText('已在浏览器中验证').waitFor();
    const shown = await proof.textContent();
    expect(shown).toContain('SHA256');
    expect(shown).toMatch(/树大小\d+/);
    expect(shown).toMatch(/叶哈希[0-9a-f]{64}/);
    await screenshot(page, 'item-event-proof');
    expect(errors).toEqual([]);
  });
});

describe('敏感档案', () => {
  it('shows a clerk the withheld item without content and files the access request', async () => {
    const clerk = await testUser(server.system.database.db, { roles: ['clerk'] });
    const session = await openConsole(browser, server);
    const { page, errors } = session;
    await signIn(page, clerk.username);
    await page.goto('/items?category=ZH');
    const row = page.getByRole('row', {
      name: new RegExp(sensitiveCode.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    });
    await row.waitFor();
    expect(await row.textContent()).toContain('（内容已隐去，须经审批后查阅）');
    // A clerk may not run the four-property check (integrity.read).
    expect(await page.getByRole('button', { name: '四性检测' }).count()).toBe(0);

    await row.getByRole('link').click();
    await page.getByText('敏感档案：内容已隐去').waitFor();
    expect(await page.getByRole('tab').count()).toBe(0);
    await page.getByRole('button', { name: '申请查阅' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('用途').fill('核对账户转移');
    await dialog.getByLabel('天数').fill('2');
    await dialog.getByRole('button', { name: '提交申请' }).click();
    await page
      .getByText(/待安全保密员审批/)
      .first()
      .waitFor();

    const requests = await server.system.database.db.selectFrom('access_request').selectAll().execute();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ purpose: '核对账户转移', duration_hours: 48, status: 'pending' });
    await screenshot(page, 'item-withheld');
    expect(errors).toEqual([]);
    await session.context.close();
  });
});
