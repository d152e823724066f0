import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beijingTime } from '../../shared/beijing-time.js';
import { YidangError } from '../../shared/errors.js';
import { idCheckChar } from '../catalog/id-number.js';
import type { LedgerDocument, LedgerSection } from './ledger.document.js';
import { findCjkFont, renderLedgerPdf } from './ledger.pdf.js';
import { renderLedgerXlsx, sheetName } from './ledger.xlsx.js';

// Both renderers on one made-up ledger (synthetic people and ID numbers only), read back the way a
// person or another test would: the workbook with exceljs, the PDF with poppler's pdftotext.

const NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄强', '周婷', '吴昊'];
/** 300 characters used nowhere else in the ledger, so they can be picked out of the PDF's text. */
const LONG = Array.from({ length: 300 }, (_, index) => '甲乙丙丁戊己庚辛壬癸'[index % 10]).join('');
const LONG_ROW = 6;
const ROWS = 120;
const MADE_AT = new Date('2026-07-01T02:05:00Z');
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A synthetic ID number (region 320115) with a valid check character; `wantX` finds one ending in X. */
function idNumber(index: number, wantX = false): string {
  const birth = `${1950 + (index % 50)}${String((index % 12) + 1).padStart(2, '0')}${String((index % 28) + 1).padStart(2, '0')}`;
  for (let sequence = index % 1000; ; sequence = (sequence + 1) % 1000) {
    const first17 = `320115${birth}${String(sequence).padStart(3, '0')}`;
    const check = idCheckChar(first17);
    if (!wantX || check === 'X') return first17 + check;
  }
}

const assisted = Array.from({ length: ROWS }, (_, index) => ({
  no: index + 1,
  name: NAMES[index % NAMES.length] + (index === ROWS - 1 ? '末行' : ''),
  id: idNumber(index, index === ROWS - 1),
  address: `示例区幸福街道第${(index % 9) + 1}社区`,
  identity: index % 3 === 0 ? '防止返贫监测对象' : '脱贫人口',
  paidOn: `2026-01-${String((index % 28) + 1).padStart(2, '0')}`,
  // Whole cents, so the expected total is exact.
  amount: (100_000 + ((index * 7_919) % 500_000)) / 100,
  note: index === LONG_ROW ? LONG : null,
}));
const totalCents = assisted.reduce((sum, row) => sum + Math.round(row.amount * 100), 0);
const TOTAL = totalCents / 100;

const assistedSection: LedgerSection = {
  title: '资助参保明细',
  columns: [
    { key: 'no', header: '序号', width: 4, kind: 'count' },
    { key: 'name', header: '姓名', width: 6 },
    { key: 'id', header: '身份证号码', width: 18 },
    { key: 'address', header: '地址', width: 14 },
    { key: 'identity', header: '身份类别', width: 8 },
    { key: 'paidOn', header: '缴费日期', width: 10, kind: 'date' },
    { key: 'amount', header: '资助金额（元）', width: 10, kind: 'money' },
    { key: 'note', header: '备注', width: 14 },
  ],
  rows: assisted,
  totals: { no: '合计', amount: TOTAL },
};

const exitedSection: LedgerSection = {
  title: '退出人员',
  columns: [
    { key: 'name', header: '退出人姓名', width: 6 },
    { key: 'id', header: '公民身份号码', width: 18 },
    { key: 'exitedOn', header: '退出日期', width: 10, kind: 'date' },
    { key: 'people', header: '人数', width: 4, kind: 'count' },
  ],
  rows: [
    { name: '孙丽', id: idNumber(500), exitedOn: '2026-03-01', people: 1 },
    { name: '钱进', id: idNumber(501), exitedOn: '2026-04-15', people: 1 },
  ],
  totals: { name: '合计', people: 2 },
};

const ledger: LedgerDocument = {
  title: '医保扶贫参保台账',
  period: '截至 2026年6月30日',
  agency: '示例市医疗保障局',
  cover: [
    { label: '资助参保人数', value: `${ROWS} 人` },
    { label: '资助金额合计', value: `${MONEY.format(TOTAL)} 元` },
  ],
  sections: [assistedSection, exitedSection],
  madeAt: MADE_AT,
  madeBy: '测试员',
};

const FORBIDDEN_TITLE = '退出/新增[2026:上半年]*?\\汇总';
const LONG_TITLE = '二〇二六年度困难群众医疗救助资助参保及待遇享受情况动态管理明细台账';
const edgeLedger: LedgerDocument = {
  ...ledger,
  sections: [
    { title: FORBIDDEN_TITLE, columns: exitedSection.columns, rows: [] },
    { title: LONG_TITLE, columns: exitedSection.columns, rows: exitedSection.rows },
    { title: LONG_TITLE, columns: exitedSection.columns, rows: exitedSection.rows },
  ],
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-ledger-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' });

async function readWorkbook(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

describe('renderLedgerXlsx', () => {
  let workbook: ExcelJS.Workbook;
  beforeAll(async () => {
    workbook = await readWorkbook(await renderLedgerXlsx(ledger));
  });

  it('has the cover, then one sheet per section with its heading and frozen, printed column headers', () => {
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['封面', '资助参保明细', '退出人员']);
    const sheet = workbook.getWorksheet('资助参保明细') as ExcelJS.Worksheet;
    expect(sheet.getCell('A1').value).toBe('资助参保明细');
    expect(sheet.getCell('H1').isMerged).toBe(true);
    expect((sheet.getRow(2).values as unknown[]).slice(1)).toEqual(
      assistedSection.columns.map((column) => column.header),
    );
    expect(sheet.getCell('A2').font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToWidth: 1, printTitlesRow: '2:2' });
    expect(sheet.headerFooter.oddFooter).toContain('&P');
    expect(sheet.headerFooter.oddFooter).toContain('&N');
    expect(sheet.headerFooter.oddFooter).toContain('制表人：测试员');
    expect(sheet.headerFooter.oddFooter).toContain(`制表时间：${beijingTime(MADE_AT)}`);
  });

  it('keeps ID numbers and dates as text, money and counts as numbers, and totals the money', () => {
    const sheet = workbook.getWorksheet('资助参保明细') as ExcelJS.Worksheet;
    assisted.forEach((row, index) => {
      const line = sheet.getRow(index + 3);
      expect(line.getCell(3).type).toBe(ExcelJS.ValueType.String);
      expect(line.getCell(3).value).toBe(row.id);
      expect(line.getCell(6).value).toBe(row.paidOn);
      expect(line.getCell(1).value).toBe(row.no);
      expect(line.getCell(7).value).toBe(row.amount);
    });
    expect(assisted.at(-1)?.id).toMatch(/^\d{17}X$/);
    expect(sheet.getRow(3).getCell(7).numFmt).toBe('#,##0.00');
    expect(sheet.getRow(3).getCell(1).numFmt).toBe('0');
    expect(sheet.getRow(3).getCell(8).value).toBeNull();
    expect(sheet.getRow(3 + LONG_ROW).getCell(8).value).toBe(LONG);

    const totals = sheet.getRow(ROWS + 3);
    expect(totals.getCell(1).value).toBe('合计');
    expect(totals.getCell(1).font?.bold).toBe(true);
    let cents = 0;
    for (let line = 3; line < ROWS + 3; line++)
      cents += Math.round(Number(sheet.getRow(line).getCell(7).value) * 100);
    expect(totals.getCell(7).value).toBe(cents / 100);
    expect(totals.getCell(7).value).toBe(TOTAL);
    expect(sheet.rowCount).toBe(ROWS + 3);
  });

  it('puts the summary, 制表时间 and 制表人 on the cover', () => {
    const cover = workbook.getWorksheet('封面') as ExcelJS.Worksheet;
    const pairs = new Map<string, unknown>();
    cover.eachRow((row) => pairs.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(cover.getCell('A1').value).toBe(ledger.title);
    expect(pairs.get('编制单位')).toBe(ledger.agency);
    expect(pairs.get('资助金额合计')).toBe(`${MONEY.format(TOTAL)} 元`);
    expect(pairs.get('制表时间')).toBe('2026-07-01 10:05');
    expect(pairs.get('制表人')).toBe('测试员');
  });

  it('fixes sheet names Excel would refuse and says 无记录 for an empty section', async () => {
    const edge = await readWorkbook(await renderLedgerXlsx(edgeLedger));
    const names = edge.worksheets.map((sheet) => sheet.name);
    expect(names[1]).toBe('退出_新增_2026_上半年____汇总');
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(31);
      expect(name).not.toMatch(/[[\]:*?/\\]/);
    }
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
    expect(names[2]).toBe(LONG_TITLE.slice(0, 31));
    expect(names[3]?.endsWith('(2)')).toBe(true);
    const empty = edge.worksheets[1] as ExcelJS.Worksheet;
    expect(empty.getCell('A1').value).toBe(FORBIDDEN_TITLE);
    expect(empty.getCell('A3').value).toBe('无记录');
  });

  it('names sheets uniquely regardless of case, without splitting a character', () => {
    const taken = new Set(['封面']);
    expect(sheetName('  a/b  ', taken)).toBe('a_b');
    expect(sheetName('A/B', taken)).toBe('A_B(2)');
    expect(sheetName('封面', taken)).toBe('封面(2)');
    expect(sheetName("'history'", taken)).toBe('history(2)');
    expect(sheetName('', taken)).toBe('表');
    expect(sheetName(`${'表'.repeat(30)}😀`, taken)).toBe('表'.repeat(30));
  });
});

interface Word {
  page: number;
  text: string;
  xMin: number;
  xMax: number;
  yMin: number;
}

function words(file: string): Word[] {
  const html = run('pdftotext', ['-bbox', file, '-']);
  const found: Word[] = [];
  let page = 0;
  const pattern =
    /<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g;
  for (const match of html.matchAll(pattern)) {
    if (match[0].startsWith('<page')) page++;
    else
      found.push({
        page,
        text: match[4] ?? '',
        xMin: +(match[1] ?? 0),
        yMin: +(match[2] ?? 0),
        xMax: +(match[3] ?? 0),
      });
  }
  return found;
}

describe('renderLedgerPdf', () => {
  let file: string;
  let pages: string[];
  let pageCount: number;
  beforeAll(async () => {
    file = path.join(dir, 'ledger.pdf');
    fs.writeFileSync(file, await renderLedgerPdf(ledger));
    pages = run('pdftotext', ['-layout', file, '-']).split('\f').slice(0, -1);
    pageCount = Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [file]))?.[1]);
  });

  it('gives back the cover in extractable Chinese, with an embedded subset CJK font', () => {
    const cover = (pages[0] ?? '').replace(/\s+/g, '');
    expect(cover).toContain(ledger.title);
    expect(cover).toContain('截至2026年6月30日');
    expect(cover).toContain('编制单位：示例市医疗保障局');
    expect(cover).toContain(`资助参保人数${ROWS}人`);
    expect(cover).toContain(`资助金额合计${MONEY.format(TOTAL)}元`);
    expect(cover).toContain('制表时间2026-07-0110:05');
    expect(cover).toContain('制表人测试员');
    // A subset (ABCDEF+Name) CID font, embedded, with a ToUnicode map: emb, sub and uni all yes.
    const fonts = run('pdffonts', [file]);
    expect(fonts).toMatch(/^[A-Z]{6}\+\S+\s+CID[^\n]*?\s+yes\s+yes\s+yes\s/m);
    const family = findCjkFont().family;
    if (family) expect(fonts).toContain(`+${family}`);
  });

  it('numbers every page 第 N 页 / 共 M 页 and signs it with 制表时间 and 制表人', () => {
    expect(pageCount).toBeGreaterThanOrEqual(4);
    expect(pageCount).toBeLessThanOrEqual(12);
    expect(pages).toHaveLength(pageCount);
    pages.forEach((text, index) => {
      const [, page, of] = /第\s*(\d+)\s*页\s*\/\s*共\s*(\d+)\s*页/.exec(text) ?? [];
      expect([Number(page), Number(of)]).toEqual([index + 1, pageCount]);
      expect(text.replace(/\s+/g, '')).toContain('制表时间：2026-07-0110:05制表人：测试员');
    });
  });

  it('repeats the column headers once at the top of every page of a table', () => {
    const tablePages = pages.filter((text) => text.includes(assistedSection.title));
    expect(tablePages.length).toBeGreaterThanOrEqual(3);
    for (const text of tablePages) {
      const headers = text.split('\n').filter((line) => /序号\s+姓名\s+身份证号码\s+地址/.test(line));
      expect(headers).toHaveLength(1);
    }
    expect(tablePages.slice(1).every((text) => text.includes(`${assistedSection.title}（续）`))).toBe(true);
    expect(pages.filter((text) => /退出人姓名\s+公民身份号码/.test(text))).toHaveLength(1);
  });

  it('prints the last row, right-aligned money and the 合计 row', () => {
    const all = pages.join('\n');
    const last = assisted.at(-1);
    expect(all).toContain(last?.id);
    expect(all).toContain(last?.name);
    const totalLine = all.split('\n').find((line) => line.trimStart().startsWith('合计'));
    expect(totalLine).toMatch(new RegExp(`${MONEY.format(TOTAL).replace(/[.,]/g, '\\$&')}\\s*$`));
    expect(MONEY.format(TOTAL)).toMatch(/^\d{1,3}(,\d{3})+\.\d\d$/);
    expect(all).toMatch(/钱进\s+\d{17}[\dX]\s+2026-04-15\s+1/);
  });

  it('wraps a 300-character cell inside its column, over nobody else', () => {
    const all = pages.join('\n');
    expect(
      Array.from(all)
        .filter((char) => '甲乙丙丁戊己庚辛壬癸'.includes(char))
        .join(''),
    ).toBe(LONG);
    const boxes = words(file);
    const long = boxes.filter((word) => /[甲乙丙丁戊己庚辛壬癸]/.test(word.text));
    expect(long.length).toBeGreaterThan(5);
    expect(new Set(long.map((word) => word.xMin.toFixed(1))).size).toBe(1);
    for (const word of long) expect(word.xMax).toBeLessThanOrEqual(841.89 - 36);
    // No two words on one line overlap, anywhere: nothing is drawn over the next cell.
    for (const word of boxes) {
      const clash = boxes.find(
        (other) =>
          other !== word &&
          other.page === word.page &&
          Math.abs(other.yMin - word.yMin) < 2 &&
          other.xMin < word.xMax - 0.5 &&
          word.xMin < other.xMax - 0.5,
      );
      expect(clash, `${word.text} overlaps ${clash?.text}`).toBeUndefined();
    }
  });

  it('says 无记录 for an empty section', async () => {
    const edgeFile = path.join(dir, 'edge.pdf');
    fs.writeFileSync(edgeFile, await renderLedgerPdf(edgeLedger));
    const text = run('pdftotext', ['-layout', edgeFile, '-']);
    expect(text).toContain(FORBIDDEN_TITLE);
    expect(text).toMatch(/退出人姓名\s+公民身份号码[^\n]*\n\s*无记录/);
  });
});

describe('findCjkFont', () => {
  it('finds an installed font, and takes YIDANG_PDF_FONT as path#PostScriptName', () => {
    const found = findCjkFont({});
    expect(fs.existsSync(found.path)).toBe(true);
    expect(findCjkFont({ YIDANG_PDF_FONT: `${found.path}#SomeFace-Regular` })).toEqual({
      path: found.path,
      family: 'SomeFace-Regular',
    });
  });

  it('fails with a message for the administrator when the configured font is missing', () => {
    const missing = () => findCjkFont({ YIDANG_PDF_FONT: path.join(os.tmpdir(), 'no-such-font.ttc') });
    expect(missing).toThrow(YidangError);
    try {
      missing();
    } catch (error) {
      expect((error as YidangError).code).toBe('PDF_FONT_MISSING');
      expect((error as YidangError).message).toContain('fonts-noto-cjk');
      expect((error as YidangError).message).toContain('YIDANG_PDF_FONT');
    }
  });
});
