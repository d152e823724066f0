import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { testUser } from '../helpers/access.js';
import {
  type ConsolePage,
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { reimbursement, validId } from '../helpers/fixtures.js';
import { streamOf } from '../helpers/system.js';

// The insured person's window in a real browser at a phone's width (390 px, what a 医保电子凭证
// mini-program embeds): signed in, a 参保人 lands on their own archives, asks for a certified copy,
// sees who looked at their record (a clerk's read, by agency and role), and anyone checks the copy's
// code on the public page without signing in.

const PERSON = validId('32011519850312105');
const PHONE = { width: 390, height: 844 };
let server: ConsoleServer;
let browser: Browser;
let session: ConsolePage;
let page: Page;
let archiveCode = '';

/** Nothing wider than the phone: no sideways scrolling. */
const fitsPhone = () => page.evaluate('document.documentElement.scrollWidth') as Promise<number>;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const db = server.system.database.db;
  const [filed] = await fileItems(
    db,
    [reimbursement({ idNumber: PERSON, name: '张三', title: '张三 报销审核表' })],
    'test',
    {
      access: SYSTEM,
    },
  );
  archiveCode = filed?.archiveCode as string;
  const pdf = await PDFDocument.create();
  pdf.addPage([300, 400]);
  await addFile(
    { db, store: server.system.store, access: SYSTEM },
    archiveCode,
    {
      stream: streamOf(Buffer.from(await pdf.save())),
      fileName: '审核表.pdf',
    },
    'test',
  );
  const clerk = await testUser(db, { roles: ['clerk'] });
  const read = await server.app.inject({
    method: 'GET',
    url: `/api/v1/items/${encodeURIComponent(archiveCode)}`,
    headers: clerk.headers,
  });
  expect(read.statusCode).toBe(200);
  const insured = await testUser(db, { roles: ['insured'], scope: [], idNumber: PERSON });
  session = await openConsole(browser, server);
  page = session.page;
  await page.setViewportSize(PHONE);
  await signIn(page, insured.username);
}, 180_000);

afterAll(async () => {
  await session?.context.close();
  await browser?.close();
  await server?.close();
});

it('shows a 参保人 their archives, issues a copy, tells who looked, and the code checks out publicly', async () => {
  await page.getByRole('heading', { name: '参保人自助查询' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/insured');
  const archive = page.getByTestId('insured-archive');
  await expect(archive.textContent()).resolves.toContain(archiveCode);
  expect(await fitsPhone()).toBeLessThanOrEqual(PHONE.width);

  await archive.getByRole('button', { name: '申请复制件' }).click();
  await page.getByLabel('用途').fill('办理退休');
  await page.getByRole('button', { name: '申请', exact: true }).click();
  const issued = page.getByText(/^复制件 FZ\d{4}-\d{6} 已出具$/);
  await issued.waitFor();
  const code = (await page.getByText(/^HY-/).first().textContent())?.trim() as string;
  expect(code).toMatch(/^HY(-[0-9A-Z]{5}){4}$/);

  await page.getByText('谁查看了我', { exact: true }).click();
  const view = page.getByTestId('insured-view').filter({ hasText: '查阅档案' });
  await view.waitFor();
  await expect(view.textContent()).resolves.toContain('经办人员');
  await expect(view.textContent()).resolves.toContain('南京市江宁区医疗保障局');
  expect(await fitsPhone()).toBeLessThanOrEqual(PHONE.width);

  // The public page, in a browser with no session.
  const visitor = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', viewport: PHONE });
  try {
    const check = await visitor.newPage();
    await check.goto(`/copy-check?code=${encodeURIComponent(code)}`);
    await check.getByRole('button', { name: '核验' }).click();
    const result = check.getByTestId('copy-check-result');
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain('真实有效');
    await expect(result.textContent()).resolves.toContain(archiveCode);
    await expect(result.textContent()).resolves.not.toContain('张');
  } finally {
    await visitor.close();
  }
  // On plain http:// (not localhost) the browser has no crypto.subtle: the file check says so in
  // Chinese, and the code check alone still works.
  const insecure = await browser.newContext({ baseURL: server.url, locale: 'zh-CN', viewport: PHONE });
  try {
    await insecure.addInitScript(() => {
      Object.defineProperty(globalThis.crypto, 'subtle', { get: () => undefined });
    });
    const check = await insecure.newPage();
    await check.goto(`/copy-check?code=${encodeURIComponent(code)}`);
    await check
      .locator('input[type=file]')
      .setInputFiles({ name: '复制件.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await check.getByRole('button', { name: '核验' }).click();
    await check.getByText(/需在本机计算摘要.*HTTPS/).waitFor();
    await check.reload();
    await check.getByRole('button', { name: '核验' }).click();
    await expect(check.getByTestId('copy-check-result').textContent()).resolves.toContain('真实有效');
  } finally {
    await insecure.close();
  }
  expect(session.errors).toEqual([]);
}, 120_000);
