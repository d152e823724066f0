import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { bagTarStream } from '../../src/modules/transfer/bag.tar.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';
import { pdf as makePdf } from '../helpers/check-files.js';
import { SYSTEM } from '../helpers/fixture-access.js';
import { FONDS, reimbursement } from '../helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../helpers/system.js';
import { exportFiledAsBag } from '../helpers/transfer-bag.js';

// 接收 in a real browser: another home exports a bag of one 件; the archivist uploads its tar into a
// fonds on the 接收 page and sees it accepted, the item with its 本馆档号 and its four properties passed,
// and the reception listed.

let server: ConsoleServer;
let browser: Browser;
let sender: TestSystem;
let archivist: TestUser;
let tarFile: string;
const RECEIVING = { code: 'J020', name: '南京市医疗保障局', regionCode: '320100' };

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  archivist = await testUser(server.system.database.db, { roles: ['archivist'] });
  await createFonds(server.system.database.db, RECEIVING, 'test');
  sender = await openTestSystem();
  const sdb = sender.database.db;
  await createFonds(sdb, FONDS, 'test');
  const [item] = await fileItems(sdb, [reimbursement({ title: '王建国 门诊费用报销审核表' })], 'test', {
    access: SYSTEM,
  });
  if (!item) throw new Error('no item');
  await addFile(
    { db: sdb, store: sender.store, access: SYSTEM },
    item.archiveCode,
    { stream: streamOf(await makePdf(1)), fileName: '审核表.pdf' },
    'test',
  );
  const out = path.join(sender.home, 'out', 'YJ-J013-2026-7');
  await exportFiledAsBag(sender, 'YJ-J013-2026-7', [item], out);
  tarFile = path.join(sender.home, 'YJ-J013-2026-7.tar');
  await pipeline(bagTarStream(out), fs.createWriteStream(tarFile));
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sender?.dispose();
});

it('uploads a bag on the 接收 page and shows each item accepted with its four properties', async () => {
  const { page } = await openConsole(browser, server);
  await signIn(page, archivist.username);
  await page.goto('/transfer/received');
  await page.getByLabel('接收进全宗').fill('J020');
  await page.locator('input[type=file]').setInputFiles(tarFile);
  await page.getByRole('button', { name: '校验并接收' }).click();
  const outcome = page.locator('.ant-card').filter({ hasText: '移交批次 YJ-J013-2026-7' });
  await outcome.getByText('全部接收').waitFor({ timeout: 30_000 });
  const item = outcome.locator('tbody tr').filter({ hasText: 'J013-' });
  const text = (await item.textContent()) ?? '';
  expect(text).toContain('J020-');
  expect(text.match(/通过/g)).toHaveLength(3);
  expect(await item.getByText('接收', { exact: true }).count()).toBe(1);
  const listed = page
    .locator('.ant-card')
    .filter({ hasText: '已接收' })
    .locator('tbody tr')
    .filter({ hasText: 'YJ-J013-2026-7' });
  await listed.waitFor();
  expect(await listed.textContent()).toContain('全部接收');
}, 120_000);
