import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteCase, openCase } from '../../src/modules/cases/case.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { reconcileList } from '../../src/modules/ledgers/reconcile.service.js';
import { catchUpIndex } from '../../src/modules/search/indexer.js';
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
import { FONDS, reimbursement, validId } from '../helpers/fixtures.js';
import { plantFundWorld } from '../helpers/fund-anomaly-probes.js';
import { plantRuleScreen } from '../helpers/fund-rules.js';
import { executeRun, startRun } from '../../src/modules/fund/run.service.js';
import { plantSettlementSeries } from '../helpers/fund-series.js';
import { idOf, rosterEntry, storeRoster } from '../helpers/roster.js';

// Every console page at the two screen sizes offices have (1366×768, the most common, and
// 1920×1080): it loads, the page never scrolls sideways, no table has a horizontal scrollbar (the
// item table with the columns it shows by default at that width), no table header or cell is cut off
// or spills, no 档号 is broken over lines, and the sidebar marks the page shown. One browser and one
// server; each user's session is resized between sizes. Screenshots (what the screen shows, and the
// whole page as <page>-full.png) and the measures (<page>.json) go to YIDANG_SCREENS_DIR (default
// /tmp/yidang-screens/<size>/; none under CI=true unless it is set) for a person to look at.

// CI asserts the measures and takes no pictures (no one looks at them there; two screenshots a page
// cost a second); anywhere else the pictures are taken for a person to look at.
const SCREENS_DIR =
  process.env.YIDANG_SCREENS_DIR ?? (process.env.CI === 'true' ? undefined : '/tmp/yidang-screens');
const SIZES = [
  { name: '1366x768', width: 1366, height: 768 },
  { name: '1920x1080', width: 1920, height: 1080 },
] as const;

type Who = 'staff' | 'auditor' | 'sysadmin' | 'secadmin' | 'supervisor';

interface Screen {
  /** The screenshot's file name. */
  name: string;
  who: Who;
  url: () => string;
  /** The sidebar entry that must be marked. */
  menu: string;
  /** Tables (by test id) the page must show; like every table, without a horizontal scrollbar. */
  fits?: string[];
  /** What to do on the page before it is measured (fill in what makes its form appear). */
  prepare?: (page: Page) => Promise<void>;
  /** More checks of this page at this size. */
  check?: (page: Page, size: Size, measured: Measure) => Promise<void>;
}

type Size = (typeof SIZES)[number];

let server: ConsoleServer;
let browser: Browser;
const users = {} as Record<Who, TestUser>;
const sessions = {} as Record<Who, ConsolePage>;
let itemCode = '';
let sensitiveCode = '';
let caseCode = '';

const SCREENS: Screen[] = [
  { name: 'dashboard', who: 'staff', url: () => '/', menu: '首页' },
  {
    name: 'items',
    who: 'staff',
    url: () => '/items',
    menu: '档案管理',
    fits: ['items-table'],
    check: checkItemTable,
  },
  // A long page, down to the sensitive item the user may not read: its 须审批 tag in the narrow 敏感
  // column.
  {
    name: 'items-withheld',
    who: 'staff',
    url: () => '/items?limit=100',
    menu: '档案管理',
    fits: ['items-table'],
    check: async (page) => expect(await page.getByTestId('items-table').getByText('须审批').count()).toBe(1),
  },
  {
    name: 'item-detail',
    who: 'staff',
    url: () => `/items/${encodeURIComponent(itemCode)}`,
    menu: '档案管理',
  },
  {
    name: 'item-detail-events',
    who: 'staff',
    url: () => `/items/${encodeURIComponent(itemCode)}?tab=events`,
    menu: '档案管理',
  },
  { name: 'search', who: 'staff', url: () => '/search?q=报销', menu: '检索' },
  {
    name: 'filing',
    who: 'staff',
    url: () => '/filing/new',
    menu: '著录归档',
    // The form's fields appear once a fonds and a category are chosen.
    prepare: async (page) => {
      await page.getByRole('combobox', { name: '全宗' }).click();
      await page.locator(`.ant-select-item-option[title="${FONDS.code} ${FONDS.name}"]`).click();
      await page.getByRole('combobox', { name: '类别' }).fill('个人零星');
      await page.getByTitle('JSLX 个人零星报销').click();
      await page.getByLabel('就诊医疗机构').waitFor();
    },
  },
  { name: 'import', who: 'staff', url: () => '/filing/import', menu: '批量导入' },
  {
    name: 'scans',
    who: 'staff',
    url: () => `/filing/scans?item=${encodeURIComponent(itemCode)}`,
    menu: '扫描与质检',
  },
  { name: 'poverty-reconcile', who: 'staff', url: () => '/poverty', menu: '医保扶贫' },
  { name: 'poverty-ledger', who: 'staff', url: () => '/poverty?tab=ledger', menu: '医保扶贫' },
  { name: 'poverty-roster', who: 'staff', url: () => '/poverty?tab=roster', menu: '医保扶贫' },
  { name: 'approvals-mine', who: 'staff', url: () => '/approvals', menu: '审批' },
  { name: 'categories', who: 'staff', url: () => '/admin/categories', menu: '分类方案' },
  { name: 'retention', who: 'staff', url: () => '/admin/retention', menu: '保管期限表' },
  { name: 'fonds', who: 'staff', url: () => '/admin/fonds', menu: '全宗与档号规则' },
  { name: 'profile', who: 'staff', url: () => '/profile', menu: '我的账户' },
  { name: 'overdue', who: 'staff', url: () => '/lending/overdue', menu: '逾期' },
  { name: 'notices', who: 'staff', url: () => '/notices', menu: '站内通知' },
  { name: 'use-stats', who: 'staff', url: () => '/use', menu: '利用统计' },
  { name: 'kpi', who: 'staff', url: () => '/fund/kpi', menu: '考核指标' },
  // 核查案件: the list, and one case with its evidence (a sensitive archive listed by 档号 only), a note
  // and the forms of the steps it is ready for.
  { name: 'cases', who: 'supervisor', url: () => '/fund/cases', menu: '核查案件', fits: ['cases-table'] },
  {
    name: 'case-detail',
    who: 'supervisor',
    url: () => `/fund/cases/${caseCode}`,
    menu: '核查案件',
    fits: ['case-evidence'],
  },
  { name: 'loan-request', who: 'staff', url: () => '/lending/new', menu: '借阅申请' },
  { name: 'loans-mine', who: 'staff', url: () => '/lending/mine', menu: '我的借阅' },
  { name: 'loan-approvals', who: 'staff', url: () => '/lending/approvals', menu: '借阅审批' },
  { name: 'loan-desk', who: 'staff', url: () => '/lending/desk', menu: '出库与归还' },
  // 趋势预测 with a forecast drawn: the chart, the backtest table and the forecast table.
  {
    name: 'forecasts',
    who: 'supervisor',
    url: () => '/fund/forecasts',
    menu: '趋势预测',
    prepare: async (page) => {
      await page.getByRole('button', { name: '预测', exact: true }).click();
      await page.getByRole('img', { name: '结算笔数的历史、预测与预测区间' }).waitFor();
      await settled(page);
    },
  },
  // 规则与线索: the twelve rules, a finished run and its clues.
  {
    name: 'fund-rules',
    who: 'supervisor',
    url: () => '/fund/rules',
    menu: '规则与线索',
    fits: ['rule-table', 'run-table', 'clue-table'],
    prepare: async (page) => {
      await page.getByTestId('clue-table').getByText('WEB-320115-1').first().waitFor();
      await settled(page);
    },
  },
  // 异常机构 over planted settlements: flags with their explanations, the peer chart, the groups.
  {
    name: 'fund-anomalies',
    who: 'supervisor',
    url: () => '/fund/anomalies?from=2026-01-01&to=2026-06-30',
    menu: '异常机构',
    fits: ['anomaly-table', 'group-table'],
    prepare: async (page) => {
      await page.getByTestId('anomaly-table').getByText('江宁第8医院').first().waitFor();
      await page.getByRole('img', { name: '次均费用与同组机构比较图' }).waitFor();
      await page.getByTestId('group-table').getByText('高风险').first().waitFor();
      await settled(page);
    },
  },
  // 结算数据 over planted settlements: the import card and the list, then one settlement.
  {
    name: 'fund-settlements',
    who: 'supervisor',
    url: () => '/fund/settlements',
    menu: '结算数据',
    fits: ['settlement-table'],
    prepare: async (page) => {
      await page.getByTestId('settlement-table').locator('tbody tr').first().waitFor();
      await settled(page);
    },
  },
  {
    name: 'fund-settlement',
    who: 'supervisor',
    url: () => '/fund/settlements/PR3201151000',
    menu: '结算数据',
    fits: ['settlement-lines', 'settlement-archives'],
    prepare: async (page) => {
      await page.getByRole('heading', { name: '结算 PR3201151000' }).waitFor();
      await settled(page);
    },
  },
  { name: 'audit', who: 'auditor', url: () => '/audit', menu: '审计' },
  { name: 'users', who: 'sysadmin', url: () => '/admin/users', menu: '用户与角色' },
  { name: 'system', who: 'sysadmin', url: () => '/admin/system', menu: '副本与密钥' },
  { name: 'approvals-inbox', who: 'secadmin', url: () => '/approvals', menu: '审批' },
  { name: 'grants', who: 'secadmin', url: () => '/admin/users', menu: '用户与角色' },
];

interface Measure {
  /** How far the page reaches past the window's right edge (px; ≤ 0 fits). */
  pageOverflow: number;
  /** Each visible table: its test id (or position), how far it scrolls sideways, its column titles and
   * the titles of columns whose text is cut short with an ellipsis. */
  tables: { id: string; overflow: number; columns: string[]; truncated: string[] }[];
  /** Header cells whose text does not fit: cut off, or broken over lines. */
  clippedHeaders: string[];
  /** Body cells whose content spills out of the cell (an ellipsis is counted in `truncated`). */
  clippedCells: string[];
  /** Error notices shown in the page (a page that failed to load is not a page that fits). */
  errorNotices: string[];
  /** 档号 broken over two lines anywhere in the page. */
  brokenCodes: string[];
  /** The sidebar's marked entries. */
  selected: string[];
}

// Evaluated in the page, written as a string: the test's own TypeScript has no DOM types.
const MEASURE = `(() => {
  const shown = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
  const text = (element) => (element.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  // The lines a cell's own text takes (sort arrows and filter icons left out).
  const lines = (cell) => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const tops = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('.ant-table-column-sorter, .ant-table-filter-trigger')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    }
    return tops.size;
  };
  // Whether a cell's content reaches past its padding: measured on the content itself, which an
  // ellipsis does not shorten and a fixed column's shadow does not widen (both change scrollWidth).
  const spills = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const content = range.getBoundingClientRect();
    if (content.width === 0) return false;
    const box = cell.getBoundingClientRect();
    const style = getComputedStyle(cell);
    return (
      content.right > box.right - parseFloat(style.paddingRight) + 1 ||
      content.left < box.left + parseFloat(style.paddingLeft) - 1
    );
  };
  const tables = [...document.querySelectorAll('.ant-table-wrapper')].filter(shown).map((wrapper, index) => {
    const scrollers = [...wrapper.querySelectorAll('.ant-table-content, .ant-table-body, .ant-table-header')];
    const overflow = Math.max(0, ...scrollers.map((element) => element.scrollWidth - element.clientWidth));
    const owner = wrapper.closest('[data-testid]');
    const titles = [...wrapper.querySelectorAll('.ant-table-thead tr:first-child th')].map(text);
    const truncated = new Set();
    for (const td of wrapper.querySelectorAll('.ant-table-tbody td.ant-table-cell-ellipsis'))
      if (shown(td) && spills(td)) truncated.add(titles[td.cellIndex] || String(td.cellIndex));
    return {
      id: owner ? owner.getAttribute('data-testid') : 'table-' + index,
      overflow,
      columns: titles.filter((title) => title !== ''),
      truncated: [...truncated],
    };
  });
  const clippedHeaders = [...document.querySelectorAll('.ant-table-thead th')]
    .filter(shown)
    .filter((th) => !th.classList.contains('ant-table-selection-column') && text(th) !== '')
    .filter((th) => spills(th) || lines(th) > 1)
    .map(text);
  const clippedCells = [...document.querySelectorAll('.ant-table-tbody tr:not(.ant-table-placeholder) td')]
    .filter(shown)
    .filter((td) => !td.classList.contains('ant-table-cell-ellipsis') && spills(td))
    .map(text);
  const brokenCodes = [];
  const codes = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = codes.nextNode(); node; node = codes.nextNode()) {
    for (const match of node.textContent.matchAll(/[A-Z0-9]{4}-[A-Z]{1,6}·\\d{4}-[A-Z0-9]+-[A-Z0-9]+-\\d+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
      if (tops.size > 1) brokenCodes.push(match[0]);
    }
  }
  const selected = [...document.querySelectorAll('nav[aria-label="主导航"] .ant-menu-item-selected')].map(text);
  return {
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    tables,
    clippedHeaders,
    clippedCells,
    brokenCodes,
    errorNotices: [...document.querySelectorAll('main .ant-alert-error')].map(text),
    selected,
  };
})()`;

/** Waits until the page has drawn its data: no spinner, skeleton or loading table left. */
async function settled(page: Page): Promise<void> {
  await page.locator('main').waitFor();
  await expect
    .poll(
      () =>
        page
          .locator('main .ant-spin-spinning, main .ant-skeleton, main .ant-table-placeholder .ant-spin')
          .count(),
      { timeout: 20_000 },
    )
    .toBe(0);
  // Fonts and late layout (charts, sticky headers) take a frame or two more.
  await page.waitForTimeout(300);
}

/** The item table's columns a clerk reads first, and those a 1920-wide screen adds. */
const FIRST_COLUMNS = ['档号', '题名', '类别', '年度', '敏感'];
const WIDE_COLUMNS = ['档号', '题名', '类别', '年度', '保管期限', '姓名', '办理时间', '载体', '敏感'];

/**
 * The item table with no column chosen: at 1366 the columns a clerk reads first, at 1920 all but the
 * (masked) ID number; no cell cut short; the header stays in view down the page and 档号 is fixed.
 */
async function checkItemTable(page: Page, size: Size, measured: Measure): Promise<void> {
  const table = measured.tables.find((entry) => entry.id === 'items-table');
  expect(table?.columns).toEqual(size.width >= 1920 ? WIDE_COLUMNS : FIRST_COLUMNS);
  expect(table?.truncated).toEqual([]);
  const fixed = await page
    .getByTestId('items-table')
    .locator('.ant-table-tbody tr')
    .nth(1)
    .locator('td')
    .nth(1)
    .getAttribute('class');
  expect(fixed, '档号列应固定在左侧').toMatch(/ant-table-cell-fix/);
  // A 档号 is read whole: on one line.
  const codeHeights = await page
    .getByTestId('items-table')
    .locator('.ant-table-tbody td a')
    .evaluateAll((links) => links.map((link) => link.getClientRects().length));
  expect(new Set(codeHeights)).toEqual(new Set([1]));
  await page.mouse.wheel(0, 1200);
  const header = page.getByTestId('items-table').locator('.ant-table-thead');
  await expect.poll(async () => (await header.boundingBox())?.y, { message: '表头应停在窗口顶部' }).toBe(0);
  await page.mouse.wheel(0, -5000);
}

beforeAll(async () => {
  server = await startConsoleServer();
  const db = server.system.database.db;
  const long = '（江宁区人民医院、江苏省人民医院、南京鼓楼医院三家医疗机构门诊与住院费用合并审核）';
  const filed = await fileItems(
    db,
    [
      ...Array.from({ length: 60 }, (_, index) =>
        reimbursement({
          title: `报销人${index + 1} 个人零星医疗费用报销审核表${index % 3 === 0 ? long : ''}`,
          name: `报销人${index + 1}`,
          idNumber: validId(`3201151985031${String(1000 + index)}`),
          carrier: index % 2 === 0 ? 'paper' : 'electronic',
          ...(index % 2 === 0
            ? { paperLocation: { warehouse: '5号库房', cabinet: '12', shelf: '3', box: String(index + 1) } }
            : {}),
        }),
      ),
      reimbursement({
        category: 'ZH',
        org: 'CBK',
        title: '账户人 个人账户转移申请表',
        name: '账户人',
        amount: undefined,
        extra: {},
        sensitivity: 'sensitive',
      }),
    ].map((item) => ({ ...item, fonds: FONDS.code })),
    'test',
    { access: SYSTEM },
  );
  itemCode = filed[0]?.archiveCode as string;
  sensitiveCode = filed.at(-1)?.archiveCode as string;
  await catchUpIndex(db);

  users.staff = await testUser(db, { roles: ['archivist', 'clerk'] });
  users.auditor = await testUser(db, { roles: ['auditor'] });
  users.sysadmin = await testUser(db, { roles: ['sysadmin'] });
  users.secadmin = await testUser(db, { roles: ['secadmin'] });
  users.supervisor = await testUser(db, { roles: ['supervisor'] });
  caseCode = await openCase(db, SYSTEM, {
    title: '江宁区某医院涉嫌挂床住院（床位费与护理记录不符）',
    fonds: FONDS.code,
    region: '320115',
    reason: '群众举报：病人白天不在院，床位费照收',
    items: [itemCode, sensitiveCode],
  });
  await noteCase(db, SYSTEM, caseCode, '调取住院病历与护理记录，核对床位费天数');
  await plantSettlementSeries(db, { region: '320115', from: '2023-01', months: 30 });
  await plantFundWorld(db);
  // 规则与线索: a 性别不符 settlement with its archive, and a finished run over March with its clues.
  await plantRuleScreen(db, validId('32011519850312123'));
  const rulesRun = await startRun(
    db,
    SYSTEM,
    { region: '320115', from: '2026-03-01', to: '2026-03-31' },
    { background: false },
  );
  await executeRun(db, rulesRun.id, 'test');

  // Something in each page's lists: a digitization batch, a request to read the sensitive item, a
  // reconciliation run in 近期核对.
  const call = (user: TestUser, url: string, body: unknown) =>
    fetch(`${server.url}${url}`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const batch = await call(users.staff, '/api/v1/scan-batches', {
    fondsCode: FONDS.code,
    name: '2024年度个人零星报销档案数字化（第一批）',
  });
  expect(batch.status, await batch.clone().text()).toBe(201);
  const asked = await call(users.staff, '/api/v1/access-requests', {
    items: [sensitiveCode],
    purpose: '核对参保人个人账户转移材料（信访件 2026-118）',
    hours: 72,
  });
  expect(asked.status, await asked.clone().text()).toBe(201);
  const person = idOf('32011519800101101');
  await storeRoster(db, [rosterEntry('张三丰', person)]);
  await reconcileList(db, {
    content: Buffer.from(`姓名,身份证号,人员类别\n张三丰,${person},低保\n`),
    fileName: '江宁区民政局2025年第三季度低保对象名单.csv',
    source: '民政',
    actor: users.staff.username,
  });

  browser = await launchBrowser();
  for (const who of Object.keys(users) as Who[]) {
    sessions[who] = await openConsole(browser, server);
    await signIn(sessions[who].page, users[who].username, { totpSecret: users[who].totpSecret });
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

for (const size of SIZES) {
  describe(`${size.name}`, () => {
    for (const screen of SCREENS) {
      it(`${screen.name} fits, marks ${screen.menu} in the sidebar`, async () => {
        const { page, errors } = sessions[screen.who];
        await page.setViewportSize({ width: size.width, height: size.height });
        await page.goto(screen.url());
        await settled(page);
        await screen.prepare?.(page);
        const measured = (await page.evaluate(MEASURE)) as Measure;
        if (SCREENS_DIR) {
          // What the screen shows, and the whole page below it.
          const dir = path.join(SCREENS_DIR, size.name);
          fs.mkdirSync(dir, { recursive: true });
          await page.screenshot({ path: path.join(dir, `${screen.name}.png`) });
          await page.screenshot({ path: path.join(dir, `${screen.name}-full.png`), fullPage: true });
          fs.writeFileSync(path.join(dir, `${screen.name}.json`), JSON.stringify(measured, null, 2));
        }

        expect(measured.errorNotices, '页面应加载成功').toEqual([]);
        expect(measured.selected, '侧栏应标出当前页').toEqual([screen.menu]);
        expect(measured.pageOverflow, '页面不应横向滚动').toBeLessThanOrEqual(0);
        expect(measured.clippedHeaders, '表头文字不应被截断或折行').toEqual([]);
        expect(measured.clippedCells, '单元格内容不应溢出').toEqual([]);
        expect(measured.brokenCodes, '档号不应折行').toEqual([]);
        for (const id of screen.fits ?? [])
          expect(
            measured.tables.map((table) => table.id),
            `${id} 应显示`,
          ).toContain(id);
        for (const table of measured.tables) expect(table.overflow, `${table.id} 不应出现横向滚动条`).toBe(0);
        await screen.check?.(page, size, measured);
        expect(errors).toEqual([]);
      });
    }
  });
}
