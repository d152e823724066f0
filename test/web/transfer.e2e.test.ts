import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, Locator, Page } from 'playwright-core';
import { beijingDate, beijingIso } from '../../src/shared/beijing-time.js';
import { yearsAfter } from '../../src/modules/transfer/transfer.accept.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { checkItem } from '../../src/modules/check/check.service.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { signReceipt } from '../../src/modules/transfer/receipt.js';
import { markExported } from '../../src/modules/transfer/transfer.service.js';
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

// 移交 in a real browser: the archivist draws a batch of a fonds-year with the receiver's key (one
// item not checked is listed as refused, with its reason), the bag is marked exported (the job's
// last step, done here directly), and the receiver's signed 回执 is uploaded: the batch shows 已移交
// with the date until which the copy is kept.

/** Acceptance today: the copy is kept five years from today (Beijing). */
const KEEP_UNTIL = yearsAfter(beijingDate(new Date()), 5);
let server: ConsoleServer;
let browser: Browser;
let archivist: TestUser;
const codes: string[] = [];
const keys = crypto.generateKeyPairSync('ed25519');
const KEY = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const DIGEST = 'cd'.repeat(32);
const db = () => server.system.database.db;
const row = (within: Page | Locator, text: string) => within.locator('tr').filter({ hasText: text });

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  archivist = await testUser(db(), { roles: ['archivist'] });
  const filed = await fileItems(
    db(),
    [1, 2, 3].map((n) =>
      reimbursement({
        title: `二〇一七年报销审核表 ${n}`,
        date: '2017-05-10',
        handledAt: '2017-05-10T10:00:00+08:00',
      }),
    ),
    'test',
    { access: SYSTEM },
  );
  codes.push(...filed.map((item) => item.archiveCode));
  for (const code of codes) {
    await addFile(
      { db: db(), store: server.system.store, access: SYSTEM },
      code,
      { stream: Readable.from([Buffer.from(`审核表 ${code}\n`)]), fileName: '审核表.txt' },
      'test',
    );
  }
  // The third is never checked: it is refused.
  for (const code of codes.slice(0, 2))
    await checkItem({ db: db(), store: server.system.store }, code, 'test', SYSTEM);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('draws a batch, names the refused item, and records the receiver’s signed 回执', async () => {
  const session = await openConsole(browser, server);
  const { page } = session;
  await signIn(page, archivist.username);
  await page.getByRole('menuitem', { name: '移交与接收' }).click();
  await page.getByRole('menuitem', { name: '移交', exact: true }).click();
  await page.waitForURL(/\/transfer\/batches$/);
  const form = page.getByTestId('transfer-draw');
  await form.getByLabel('全宗号').fill('J013');
  await form.getByLabel('接收单位').fill('南京市档案馆');
  await form.getByLabel('年度（可选）').fill('2017');
  await form.getByLabel(/接收方公钥/).fill(KEY);
  await form.getByRole('button', { name: '编制' }).click();
  await page.waitForURL(/\/transfer\/batches\/YJ-/);
  const code = decodeURIComponent(page.url().split('/').pop() as string);
  const items = page.getByTestId('transfer-items');
  await row(items, codes[2] as string)
    .getByText('最近一次修改后尚未做四性检测')
    .waitFor();
  await row(items, codes[0] as string)
    .getByText('列入移交')
    .waitFor();
  await page.getByTestId('transfer-cover').getByText('已编制，待导出').waitFor();

  await inTransaction(db(), (trx) =>
    markExported(trx, code, {
      actor: 'system:transfer',
      digest: DIGEST,
      algorithm: 'sha256',
      payloadOxum: '60.2',
      at: new Date(),
    }),
  );
  await page.reload();
  await page.getByRole('button', { name: '登记接收回执' }).click();
  const receipt = signReceipt(
    {
      batch: code,
      bagDigest: { algorithm: 'sha256', value: DIGEST },
      sender: '南京市江宁区医疗保障局',
      receiver: '南京市档案馆',
      receivedAt: beijingIso(new Date()),
      items: codes.slice(0, 2).map((archiveCode) => ({ archiveCode, accepted: true })),
      bagProblems: [],
    },
    { algorithm: 'ed25519', privateKey: keys.privateKey, publicKey: keys.publicKey },
  );
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-receipt-')), `回执-${code}.json`);
  fs.writeFileSync(file, receipt);
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('receipt-file').setInputFiles(file);
  await dialog.getByRole('button', { name: '登记' }).click();
  await page.getByText('已登记接收回执：接收的档案已标记为已移交').waitFor();
  await page.getByTestId('transfer-cover').getByText('已移交（已登记接收回执）').waitFor();
  await page
    .getByTestId('transfer-cover')
    .getByText(new RegExp(`本单位只读保存至\\s*${KEEP_UNTIL}`))
    .waitFor();
  expect(session.errors).toEqual([]);
  await session.context.close();
}, 180_000);
