import { Readable } from 'node:stream';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshExpiry } from '../../src/modules/catalog/expiry.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { destructionCarryJob } from '../../src/modules/disposition/destruction.carry.js';
import { JobRuntime } from '../../src/modules/jobs/job.runtime.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { beijingTime } from '../../src/shared/beijing-time.js';
import { type TestUser, testUser } from '../helpers/access.js';
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
import { samplePdf } from '../helpers/watermark-api.js';

// 鉴定与处置 in a real browser. A whole round: four items of 1990 (30 years, due since 2021) are
// taken from 到期档案 into a round of two members; one member proposes 销毁 for all, the other
// decides all but one (the exception is kept, its period extended); the lead draws the register and
// signs it, a manager outside the group approves it, two 监销人 sign, the archivist carries it out
// (the job runs here), confirms the paper item's destruction and downloads the register; the items
// then show as tombstones. And a hold: an item held on 冻结 is refused when a register is drawn, with
// the reason; lifted with a reason, the register is drawn.

let server: ConsoleServer;
let browser: Browser;
let lead: TestUser;
let member: TestUser;
let manager: TestUser;
let witness: TestUser;
let auditor: TestUser;
const codes: string[] = [];
let heldCode = '';
const db = () => server.system.database.db;

async function fileOld(overrides: Record<string, unknown>): Promise<string> {
  const [item] = await fileItems(
    db(),
    [
      reimbursement({
        date: '1990-03-15',
        handledAt: '1990-03-15T10:20:00+08:00',
        ...overrides,
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return item?.archiveCode as string;
}

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  lead = await testUser(db(), { roles: ['archivist'] });
  member = await testUser(db(), { roles: ['reviewer'] });
  manager = await testUser(db(), { roles: ['manager'] });
  witness = await testUser(db(), { roles: ['archivist'] });
  auditor = await testUser(db(), { roles: ['auditor'] });
  for (const [index, carrier] of ['electronic', 'electronic', 'paper', 'electronic'].entries())
    codes.push(
      await fileOld({
        carrier,
        title: `一九九〇年报销审核表 ${index + 1}`,
        ...(carrier === 'paper'
          ? { paperLocation: { warehouse: '一号库', cabinet: '3', shelf: '2', box: '7' } }
          : {}),
      }),
    );
  for (const code of [codes[0], codes[1]] as string[])
    await addFile(
      { db: db(), store: server.system.store, access: SYSTEM },
      code,
      { stream: Readable.from([await samplePdf()]), fileName: '报销审核表.pdf' },
      'test',
    );
  heldCode = await fileOld({ carrier: 'electronic', title: '一九九〇年报销审核表（涉案）' });
  await refreshExpiry(db(), SYSTEM, 'J013', 'test');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs the queued destruction jobs to the end, as the server's job runner would. */
async function runCarryJobs(): Promise<void> {
  const { system } = server;
  const errors: string[] = [];
  const totals = await new JobRuntime(db(), { onError: (error) => errors.push(error.message) })
    .register(destructionCarryJob({ db: db(), store: system.store, signingKey: system.signingKey }))
    .drain();
  expect(errors).toEqual([]);
  expect(totals.dead).toBe(0);
}

const row = (within: Page | Locator, text: string) => within.locator('tr').filter({ hasText: text });

/** Ticks a table row's checkbox. */
async function tick(page: Page, text: string): Promise<void> {
  await row(page, text).locator('.ant-checkbox-input').check();
}

/** From 到期档案, the given items into a new round of the lead and the member; answers the round's code. */
async function openRound(session: ConsolePage, items: string[], title: string): Promise<string> {
  const { page } = session;
  await page.goto('/disposition/expiry');
  for (const code of items) await row(page, code).waitFor();
  for (const code of items) await tick(page, code);
  await page.getByRole('button', { name: `选中的 ${items.length} 件开始鉴定` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('批次名称').fill(title);
  const members = dialog.getByLabel('鉴定小组成员');
  await members.fill(member.username);
  await members.press('Enter');
  await dialog.getByRole('button', { name: '开始鉴定' }).click();
  await page.waitForURL(/\/disposition\/rounds\/JD-/);
  // The round page itself, not the expiry list still shown while its code loads.
  for (const code of items) await row(page.getByTestId('round-items-table'), code).waitFor();
  return decodeURIComponent(page.url().split('/').pop() as string);
}

/** In the round's dialog: the choice (销毁 or 继续保存 with a period) and the reason. */
async function fillChoice(page: Page, choice: string, reason: string, keepAs?: string, prefix = '') {
  const dialog = page.getByRole('dialog');
  // The batch's choice first, the exception's below it.
  await dialog
    .locator('.ant-radio-group')
    .nth(prefix ? 1 : 0)
    .getByText(choice, { exact: true })
    .click();
  if (keepAs) {
    await dialog.getByLabel(`${prefix}新的保管期限`, { exact: true }).click();
    await page.locator('.ant-select-item-option').filter({ hasText: keepAs }).click();
  }
  await dialog.getByLabel(`${prefix}理由`, { exact: true }).fill(reason);
}

async function giveOpinion(page: Page, button: string, choice: string, reason: string) {
  await page.getByRole('button', { name: button }).click();
  await fillChoice(page, choice, reason);
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: /提出意见|作出结论/ }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * At 1366×768 (the offices' most common screen) the page never scrolls sideways and no table has a
 * horizontal scrollbar; answers what overflows, if anything.
 */
async function overflowAt1366(page: Page, path: string): Promise<string[]> {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(path);
  await page.locator('main .ant-table-tbody tr').first().waitFor();
  await expect.poll(() => page.locator('main .ant-spin-spinning').count()).toBe(0);
  // Evaluated in the page, written as a string: the test's own TypeScript has no DOM types.
  return page.evaluate(`(() => {
    const found = [];
    const over = document.documentElement.scrollWidth - window.innerWidth;
    if (over > 0) found.push('page ' + over + 'px');
    for (const element of document.querySelectorAll('main .ant-table-content, main .ant-table-body'))
      if (element.scrollWidth > element.clientWidth) found.push('table ' + (element.scrollWidth - element.clientWidth) + 'px');
    return found;
  })()`);
}

describe('鉴定与处置', () => {
  it('冻结 by a person: placed by an auditor, the ID number never shown, lifted with a reason', async () => {
    const asAuditor = await openConsole(browser, server);
    const { page } = asAuditor;
    await signIn(page, auditor.username, { totpSecret: auditor.totpSecret });
    await page.goto('/disposition/holds');
    await page.getByRole('button', { name: '新建冻结' }).click();
    const dialog = page.getByRole('dialog');
    // The auditor reads no catalog: the fonds is typed.
    await dialog.getByLabel('全宗').fill('J013');
    await dialog.getByText('按条件', { exact: true }).click();
    await dialog.getByLabel('参保人身份证号').fill(validId());
    await dialog.getByLabel('冻结原因').fill('参保人投诉核查，暂停处置');
    await dialog.getByRole('button', { name: '冻结' }).click();
    // Who reads no archives is not told how many items a query covers; the archivist is.
    const placed = page.getByText(/^已冻结 DJ-\d{4}-\d+$/);
    await placed.waitFor();
    const hold = /DJ-\d{4}-\d+/.exec((await placed.textContent()) ?? '')?.[0] as string;
    await row(page, hold)
      .getByText(/参保人身份证号 \d{6}\*+\d{3}[\dX]/)
      .waitFor();
    const asLead = await openConsole(browser, server);
    await signIn(asLead.page, lead.username);
    await asLead.page.goto('/disposition/holds');
    await row(asLead.page, hold)
      .locator('td')
      .nth(2)
      .getByText(String(codes.length + 1), { exact: true })
      .waitFor();
    await asLead.context.close();
    expect(await page.content()).not.toContain(validId());

    await row(page, hold).getByRole('button', { name: '解除' }).click();
    const lift = page.getByRole('dialog').filter({ hasText: `解除冻结 ${hold}` });
    await expect(lift.getByRole('button', { name: '解除冻结' }).isDisabled()).resolves.toBe(true);
    await lift.getByLabel('解除理由').fill('核查完毕，投诉不成立');
    await lift.getByRole('button', { name: '解除冻结' }).click();
    await page.getByText(`已解除冻结 ${hold}`).waitFor();
    await page.getByText('已解除', { exact: true }).click();
    await row(page, hold).getByText('核查完毕，投诉不成立').waitFor();
    expect(asAuditor.errors).toEqual([]);
    await asAuditor.context.close();
  });

  it('a whole round from the expiry list to a carried-out register', async () => {
    const asLead = await openConsole(browser, server);
    await signIn(asLead.page, lead.username);
    const round = await openRound(asLead, codes, '1990年度到期报销档案鉴定');
    const { page } = asLead;
    for (const code of codes) await row(page, code).waitFor();

    // The other member proposes 销毁 for every item.
    const asMember = await openConsole(browser, server);
    await signIn(asMember.page, member.username);
    await asMember.page.goto(`/disposition/rounds/${encodeURIComponent(round)}`);
    await asMember.page.getByText(`鉴定结论由组长 ${lead.username} 代表小组作出`).waitFor();
    await asMember.page.locator('thead .ant-checkbox-input').check();
    await giveOpinion(asMember.page, '提出意见', '销毁', '保管期限已满，无继续保存价值');
    await asMember.page.getByText(`已对 ${codes.length} 件提出鉴定意见`).waitFor();

    // The lead decides all at once: 销毁, with the fourth as the exception, kept 50 years.
    await page.reload();
    await row(page, codes[0] as string)
      .getByText('保管期限已满，无继续保存价值')
      .waitFor();
    await tick(page, codes[3] as string);
    await page.getByRole('button', { name: '全部决定（选中的为例外）' }).click();
    await fillChoice(page, '销毁', '小组同意销毁');
    await fillChoice(page, '继续保存', '涉及待结算争议，延长保管', '定期50年', '例外的');
    await page.getByRole('dialog').getByRole('button', { name: '作出结论' }).click();
    await page.getByText(`已对 ${codes.length} 件作出鉴定结论（其中例外 1 件）`).waitFor();
    await row(page, codes[3] as string)
      .getByText('继续保存 · 定期50年')
      .waitFor();

    // The lead draws the register from the three 销毁 decisions and signs it.
    await page.reload();
    await page.getByRole('button', { name: '编制销毁清册（3 件）' }).click();
    await page.waitForURL(/\/disposition\/registers\/XH-/);
    const register = decodeURIComponent(page.url().split('/').pop() as string);
    // The register page itself, not the round page still shown while its code loads.
    await page.getByTestId('signature-block').waitFor();
    for (const code of codes.slice(0, 3)) await row(page, code).waitFor();
    await expect(row(page, codes[3] as string).count()).resolves.toBe(0);
    await page.getByRole('button', { name: '组长签字' }).click();
    await page.getByText('组长已签字').waitFor();

    // A manager outside the group approves; two 监销人 sign.
    const asManager = await openConsole(browser, server);
    await signIn(asManager.page, manager.username, { totpSecret: manager.totpSecret });
    await asManager.page.goto(`/disposition/registers/${encodeURIComponent(register)}`);
    await asManager.page.getByRole('button', { name: '批准销毁' }).click();
    await asManager.page.getByText('清册已批准').waitFor();
    for (const [session, user] of [
      [asMember, member],
      [await openConsole(browser, server), witness],
    ] as const) {
      if (user === witness) await signIn(session.page, witness.username);
      await session.page.goto(`/disposition/registers/${encodeURIComponent(register)}`);
      await session.page.getByRole('button', { name: '监销签字' }).click();
      await session.page.getByText('监销人已签字').waitFor();
    }
    const block = page.getByTestId('signature-block');
    await page.reload();
    for (const name of [lead.username, manager.username, member.username, witness.username])
      await block.getByText(name).waitFor();

    // Carried out: the job runs, the page follows it; the paper item's destruction is confirmed.
    await page.getByRole('button', { name: '执行销毁' }).click();
    await page.getByText('已开始执行销毁').waitFor();
    await runCarryJobs();
    await page.getByTestId('carry-progress').getByText('已销毁 2/3 件').waitFor({ timeout: 15_000 });
    const paper = row(page, codes[2] as string);
    await paper.getByRole('button', { name: '确认纸质销毁' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('销毁方式').click();
    await page.locator('.ant-select-item-option').first().click();
    await dialog.getByLabel('销毁地点').fill('江宁区档案馆销毁室');
    // Destroyed a minute ago, as the archivist types it: Beijing wall-clock time.
    await dialog.getByLabel('销毁时间').fill(beijingTime(new Date(Date.now() - 60_000)));
    await dialog.getByRole('button', { name: '确认' }).click();
    await page.getByText(`${codes[2]} 纸质销毁已确认`).waitFor();
    await runCarryJobs();
    await page.reload();
    await page.getByTestId('carry-progress').getByText('已销毁 3/3 件').waitFor();
    await paper.getByText('纸质已销毁').waitFor();
    for (const code of codes.slice(0, 2)) await row(page, code).getByText('已销毁').waitFor();

    // The register's workbook and printable PDF.
    for (const [button, suffix] of [
      ['下载 XLSX', '.xlsx'],
      ['下载 PDF', '.pdf'],
    ] as const) {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: button }).click();
      expect((await download).suggestedFilename()).toBe(`销毁清册-${register}${suffix}`);
    }

    // Every page of the round fits 1366×768.
    for (const path of [
      '/disposition/expiry',
      '/disposition/rounds',
      `/disposition/rounds/${encodeURIComponent(round)}`,
      '/disposition/registers',
      `/disposition/registers/${encodeURIComponent(register)}`,
    ])
      expect(await overflowAt1366(page, path), path).toEqual([]);

    // A destroyed item is its tombstone: 档号 and 题名 kept, the register named.
    await page.goto(`/items/${encodeURIComponent(codes[0] as string)}`);
    const notice = page.getByTestId('destroyed-notice');
    await notice.getByText(new RegExp(`按销毁清册 ${register} 销毁`)).waitFor();
    await expect(notice.getByText(/所销毁内容的摘要：sha256:[0-9a-f]{64}/).count()).resolves.toBe(1);
    await page.getByText('一九九〇年报销审核表 1').first().waitFor();
    await expect(page.getByRole('button', { name: '修改' }).count()).resolves.toBe(0);
    for (const session of [asLead, asMember, asManager]) expect(session.errors).toEqual([]);
    await Promise.all([asLead, asMember, asManager].map((session) => session.context.close()));
  }, 300_000);

  it('a hold blocks a destruction until it is lifted', async () => {
    const asLead = await openConsole(browser, server);
    await signIn(asLead.page, lead.username);
    const { page } = asLead;

    // 冻结 the item by its 档号.
    await page.goto('/disposition/holds');
    await page.getByRole('button', { name: '新建冻结' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('全宗').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'J013' }).click();
    await dialog.getByLabel('档号').fill(heldCode);
    await dialog.getByLabel('冻结原因').fill('医保基金监督检查涉案档案');
    await dialog.getByLabel('案件编号').fill('JD-2026-017');
    await dialog.getByRole('button', { name: '冻结' }).click();
    const placed = page.getByText(/已冻结 DJ-\d{4}-\d+：1 件/);
    await placed.waitFor();
    const hold = /DJ-\d{4}-\d+/.exec((await placed.textContent()) ?? '')?.[0] as string;
    await row(page, hold).getByText('医保基金监督检查涉案档案').waitFor();

    // A round decides it 销毁; drawing the register is refused, naming the hold.
    const round = await openRound(asLead, [heldCode], '涉案档案鉴定');
    await tick(page, heldCode);
    await giveOpinion(page, '决定选中的', '销毁', '保管期限已满');
    await page.getByRole('button', { name: '编制销毁清册（1 件）' }).click();
    await page.getByText(/已被冻结/).waitFor();
    expect(page.url()).toContain(encodeURIComponent(round));

    // Lifted with a reason, the register is drawn.
    await page.goto('/disposition/holds');
    await row(page, hold).getByRole('button', { name: '解除' }).click();
    await page.getByRole('dialog').getByLabel('解除理由').fill('案件已办结，不再需要冻结');
    await page.getByRole('dialog').getByRole('button', { name: '解除冻结' }).click();
    await page.getByText(`已解除冻结 ${hold}`).waitFor();
    expect(await overflowAt1366(page, '/disposition/holds')).toEqual([]);
    await page.getByText('已解除', { exact: true }).click();
    await row(page, hold).getByText('案件已办结，不再需要冻结').waitFor();
    await page.goto(`/disposition/rounds/${encodeURIComponent(round)}`);
    await page.getByRole('button', { name: '编制销毁清册（1 件）' }).click();
    await page.waitForURL(/\/disposition\/registers\/XH-/);
    await page.getByTestId('signature-block').waitFor();
    await row(page, heldCode).waitFor();

    // Not carried out after all: withdrawn with a reason, the item may be drawn again.
    await page.getByRole('button', { name: '撤销清册' }).click();
    await page.getByRole('dialog').getByLabel('撤销理由').fill('案件复查，暂缓销毁');
    await page.getByRole('dialog').getByRole('button', { name: '撤销清册' }).click();
    await page.getByText('清册已撤销，所列档案可重新编制').waitFor();
    await page.getByText('已撤销', { exact: true }).waitFor();
    expect(asLead.errors).toEqual([]);
    await asLead.context.close();
  }, 180_000);
});
