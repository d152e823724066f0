import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
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
import { FONDS, reimbursement, validId } from '../helpers/fixtures.js';

// 核查案件 in a real browser: a supervisor of 江宁 opens the page from the sidebar, opens a case by
// hand with an archive as evidence, assigns it, writes a note, attaches a sensitive archive (listed by
// 档号 only: no grant), concludes 违规 with the amount to recover and closes it; the case file's 档号
// then shows and every step is in 办理过程. No ID number in the clear anywhere on the page.

let server: ConsoleServer;
let browser: Browser;
let supervisor: TestUser;
const PERSON = validId('32011519850312123');
const codes = { normal: '', sensitive: '' };

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  const db = server.system.database.db;
  const existing = await db
    .selectFrom('fonds')
    .select('code')
    .where('code', '=', FONDS.code)
    .executeTakeFirst();
  if (!existing) await createFonds(db, FONDS, 'test');
  const filed = await fileItems(
    db,
    [
      reimbursement({ idNumber: PERSON, title: '王建国 住院费用审核表' }),
      reimbursement({ idNumber: PERSON, title: '王建国 住院病历', sensitivity: 'sensitive' }),
    ],
    'test',
    { access: SYSTEM },
  );
  [codes.normal, codes.sensitive] = filed.map((item) => item.archiveCode) as [string, string];
  supervisor = await testUser(db, {
    roles: ['supervisor'],
    scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('核查案件', () => {
  it('walks a case from 立案 to 结案', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, supervisor.username, { totpSecret: supervisor.totpSecret });
    await page.getByRole('menuitem', { name: '基金监管' }).click();
    await page.getByRole('menuitem', { name: '核查案件' }).click();
    await page.getByRole('heading', { name: '核查案件' }).waitFor();

    // 立案 by hand, with the ordinary archive as evidence.
    await page.getByRole('button', { name: '立案' }).click();
    const dialog = page.getByRole('dialog', { name: '立案' });
    await dialog.getByLabel('案件名称').fill('某医院涉嫌挂床住院');
    await dialog.getByRole('combobox', { name: '全宗' }).click();
    await page.locator(`.ant-select-item-option[title="${FONDS.code} ${FONDS.name}"]`).click();
    await dialog.getByLabel('地区').fill('320115');
    await dialog.getByLabel('立案依据').fill('群众举报病人白天不在院');
    await dialog.getByLabel('证据档案').fill(codes.normal);
    await dialog.getByRole('button', { name: '立案' }).click();
    await page.getByRole('heading', { name: /核查案件 HC\d{8}/ }).waitFor();
    const code = /HC\d{8}/.exec(
      (await page.getByRole('heading', { name: /核查案件 HC/ }).textContent()) ?? '',
    )?.[0] as string;
    await page.getByTestId('case-evidence').getByText(codes.normal).waitFor();
    await page.getByText(/本案冻结：DJ-\d{4}-\d+（J013，冻结中）/).waitFor();

    // Assign, note, attach the sensitive archive (its content withheld).
    await page.getByLabel('承办人').fill(supervisor.username);
    await page.getByRole('button', { name: '指派' }).click();
    await page.getByText(supervisor.username, { exact: true }).first().waitFor();
    await page.getByLabel('核查记录').fill('调取护理记录，12 天中 4 天有记录');
    await page.getByRole('button', { name: '记录' }).click();
    await page.getByTestId('case-notes').getByText('调取护理记录，12 天中 4 天有记录').waitFor();
    await page.getByLabel('附入档号').fill(codes.sensitive);
    await page.getByRole('button', { name: '附入证据' }).click();
    await page.getByTestId('case-evidence').getByText('敏感档案，须审批后查阅').waitFor();

    // 违规 with the amount to recover, then 结案.
    await page.getByLabel('追回金额').fill('960');
    await page.getByLabel('结论说明').fill('床位费多收 8 天');
    await page.getByRole('button', { name: '作出结论' }).click();
    await page.getByText('960.00 元').waitFor();
    await page.getByRole('button', { name: '结案' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: '结案' }).click();
    await page.getByRole('link', { name: /^J013-JGJH/ }).waitFor();
    const steps = page.getByTestId('case-steps');
    for (const label of [
      '核查立案',
      '指派核查承办人',
      '记录核查情况',
      '附入核查证据档案',
      '作出核查结论',
      '核查结案',
    ])
      await steps.getByText(label).waitFor();
    await page
      .getByText(/DJ-\d{4}-\d+（J013，已解除）/)
      .first()
      .waitFor();

    // The list shows it closed.
    await page.goto('/fund/cases?state=closed');
    await page.getByTestId('cases-table').getByText(code).waitFor();
    const text = (await page.content()).replaceAll(/<[^>]+>/g, ' ');
    expect(text).not.toContain(PERSON);
    expect(errors).toEqual([]);
    await context.close();
  });
});
