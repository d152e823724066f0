import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure } from '../../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { createFonds } from '../catalog/fonds.service.js';
import { checkIdNumber } from '../catalog/id-number.js';
import { type MadeLedger, makeLedger } from './ledger.service.js';
import { loadRosterDemo, ROSTER_REFERENCE_DATE } from '../demo/roster.js';

// The four ledgers from a generated roster: every total is counted here straight from the database
// and must agree with the cover, the XLSX read back, and the text pdftotext takes out of the PDF.

let system: TestSystem;
const db = () => system.database.db;
const now = new Date('2026-07-05T09:30:00+08:00');
const maker = { actor: 'clerk1', displayName: '张科员' };
const made = new Map<string, MadeLedger>();

async function make(key: string, order: Parameters<typeof makeLedger>[1]): Promise<MadeLedger> {
  const ledger = await makeLedger({ access: SYSTEM, db: db(), store: system.store }, order, maker, now);
  made.set(key, ledger);
  return ledger;
}

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(db(), FONDS, 'test');
  await loadRosterDemo(
    db(),
    { people: 3000, seed: 'ledger-test', regionCode: '320115', referenceDate: ROSTER_REFERENCE_DATE },
    'test',
  );
}, 120_000);
afterAll(() => system?.dispose());

async function count(query: ReturnType<typeof sql<{ n: string }>>): Promise<number> {
  return Number((await query.execute(db())).rows[0]?.n ?? 0);
}
const activeOn = (day: string) =>
  count(sql<{ n: string }>`select count(distinct person_id) as n from assistance_status
    where included_on <= ${day}::date and (exited_on is null or exited_on > ${day}::date)`);

async function workbook(content: Buffer): Promise<ExcelJS.Workbook> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(content as unknown as ArrayBuffer);
  return book;
}

/** Data rows of a section sheet: those whose first cell is a row number. */
function dataRows(book: ExcelJS.Workbook, sheet: string): unknown[][] {
  const rows: unknown[][] = [];
  book.getWorksheet(sheet)?.eachRow((row) => {
    const values = (row.values as unknown[]).slice(1);
    if (typeof values[0] === 'number') rows.push(values);
  });
  return rows;
}

function totalRow(book: ExcelJS.Workbook, sheet: string): unknown[] | undefined {
  let found: unknown[] | undefined;
  book.getWorksheet(sheet)?.eachRow((row) => {
    const values = (row.values as unknown[]).slice(1);
    if (values[0] === '合计') found = values;
  });
  return found;
}

function pdfText(content: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-')), 'ledger.pdf');
  fs.writeFileSync(file, content);
  try {
    return execFileSync('pdftotext', ['-layout', file, '-'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const coverValue = (ledger: MadeLedger, label: string) =>
  ledger.document.cover.find((line) => line.label === label)?.value;
const yuan = (value: string) =>
  Number(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('参保台账 as of a cut-off', () => {
  it('lists everyone under assistance on the day, with counts the database agrees with', async () => {
    // Someone under two identities at once (低保 on top of 脱贫) is still one person on the ledger.
    await sql`insert into assistance_status (person_id, identity, source, included_on)
      select person_id, 'subsistence', '民政', '2025-01-01' from assistance_status
      where exited_on is null and included_on < '2025-01-01' order by person_id limit 1`.execute(db());
    const ledger = await make('enrollment', { kind: 'enrollment', asOf: '2026-06-30' });
    const expected = await activeOn('2026-06-30');
    expect(expected).toBeGreaterThan(100);
    expect(coverValue(ledger, '在册人数')).toBe(`${expected} 人`);
    const book = await workbook(ledger.xlsx);
    const rows = dataRows(book, '参保台账');
    expect(rows).toHaveLength(expected);
    const enrolled = Number(coverValue(ledger, '已参保')?.replace(' 人', ''));
    const unenrolled = Number(coverValue(ledger, '未参保')?.replace(' 人', ''));
    expect(enrolled + unenrolled).toBe(expected);
    for (const row of rows.slice(0, 50)) {
      expect(typeof row[2]).toBe('string');
      expect(checkIdNumber(row[2] as string)).toBeUndefined();
    }
    const text = pdfText(ledger.pdf);
    expect(text).toContain('医保扶贫参保台账');
    expect(text).toMatch(new RegExp(`在册人数\\s+${expected} 人`));
    expect(text).toContain('制表人');
    expect(text).toContain('张科员');
    const last = rows.at(-1) as unknown[];
    expect(text).toContain(last[2] as string);
  });

  it('is filed as one archive under 医保扶贫台账, holding both files with their digests', async () => {
    const ledger = made.get('enrollment') as MadeLedger;
    const item = await db()
      .selectFrom('archive_item')
      .innerJoin('category', 'category.id', 'archive_item.category_id')
      .select(['archive_item.title', 'category.code', 'archive_item.archive_code'])
      .where('archive_item.archive_code', '=', ledger.filed.archiveCode)
      .executeTakeFirstOrThrow();
    expect(item.code).toBe('FPTZ');
    expect(item.title).toContain('参保台账');
    expect(ledger.filed.files.map((file) => file.fileName)).toEqual([
      '参保台账-截至2026-06-30.xlsx',
      '参保台账-截至2026-06-30.pdf',
    ]);
    const sha = (content: Buffer) => crypto.createHash('sha256').update(content).digest('hex');
    expect(ledger.filed.files[0]?.digest).toContain(sha(ledger.xlsx));
    expect(ledger.filed.files[1]?.digest).toContain(sha(ledger.pdf));
  });
});

describe('待遇享受台账 for a period', () => {
  it('totals each amount as the database sums it, on the cover, in the XLSX and in the PDF', async () => {
    const ledger = await make('benefits', { kind: 'benefits', from: '2025-07-01', to: '2026-06-30' });
    const sums = (
      await sql<{ visits: string; total: string; assistance: string; critical: string }>`
        select count(*) as visits, sum(total_cost)::text as total, sum(assistance_paid)::text as assistance,
          sum(critical_paid)::text as critical
        from assistance_settlement a
        where settled_on between '2025-07-01' and '2026-06-30'
          and exists (select 1 from assistance_status s where s.person_id = a.person_id
            and s.included_on <= a.visit_end and (s.exited_on is null or s.exited_on > a.visit_start))`.execute(
        db(),
      )
    ).rows[0];
    expect(Number(sums?.visits)).toBeGreaterThan(20);
    expect(coverValue(ledger, '报销人次')).toContain(`${sums?.visits} 人次`);
    expect(coverValue(ledger, '医疗救助报销金额')).toBe(
      `${Number(sums?.assistance).toLocaleString('zh-CN', { minimumFractionDigits: 2 })} 元`,
    );
    const book = await workbook(ledger.xlsx);
    expect(dataRows(book, '待遇享受台账')).toHaveLength(Number(sums?.visits));
    const total = totalRow(book, '待遇享受台账') as unknown[];
    expect(total[8]).toBeCloseTo(Number(sums?.total), 2);
    expect(total[10]).toBeCloseTo(Number(sums?.assistance), 2);
    expect(total[11]).toBeCloseTo(Number(sums?.critical), 2);
    const text = pdfText(ledger.pdf);
    expect(text).toContain(yuan(sums?.total as string));
    expect(text).toContain(yuan(sums?.assistance as string));
    const pages = Number(/共 (\d+) 页/.exec(text)?.[1]);
    expect(pages).toBeGreaterThan(1);
    expect(text.match(/发生总金额/g)?.length).toBeGreaterThanOrEqual(pages - 1);
  });

  it('shows the 结算日期 each row was chosen by beside its visit, and says so on the cover', async () => {
    const ledger = made.get('benefits') as MadeLedger;
    expect(ledger.document.cover[0]).toEqual({
      label: '统计期间（按结算日期）',
      value: '2025年7月1日至2026年6月30日',
    });
    const [section] = ledger.document.sections;
    const headers = section?.columns.map((column) => column.header) ?? [];
    expect(headers.indexOf('结算日期')).toBe(headers.indexOf('就诊时间') + 1);
    const rows = section?.rows ?? [];
    for (const row of rows)
      expect(String(row.settledOn) >= '2025-07-01' && String(row.settledOn) <= '2026-06-30').toBe(true);
    // The reviewer's case: a visit that began before the period, settled inside it.
    const early = rows.find((row) => String(row.visit) < '2025-07-01');
    expect(early, 'a visit beginning before the period').toBeDefined();
    const text = pdfText(ledger.pdf);
    expect(text).toContain('统计期间（按结算日期）');
    expect(text).toMatch(new RegExp(`${String(early?.visit).slice(0, 10)}.*${early?.settledOn}`));
  });
});

describe('动态台账 for a month', () => {
  it('computes the month-over-month difference from the data, in three tables', async () => {
    const ledger = await make('dynamic', { kind: 'dynamic', month: '2026-03' });
    const before = await activeOn('2026-02-28');
    const after = await activeOn('2026-03-31');
    const added = await count(sql<{ n: string }>`select count(*) as n from assistance_status
      where included_on between '2026-03-01' and '2026-03-31'`);
    const exited = await count(sql<{ n: string }>`select count(*) as n from assistance_status
      where exited_on between '2026-03-01' and '2026-03-31'`);
    expect(coverValue(ledger, '上月末在册人数')).toBe(`${before} 人`);
    expect(coverValue(ledger, '本月末在册人数')).toBe(`${after} 人`);
    expect(coverValue(ledger, '本月新增')).toBe(`${added} 人`);
    expect(coverValue(ledger, '较上月增减')).toBe(`${after - before >= 0 ? '+' : ''}${after - before} 人`);
    // With one status per person, the difference is exactly those added less those who left.
    expect(after - before).toBe(added - exited);
    const book = await workbook(ledger.xlsx);
    expect(book.worksheets.map((sheet) => sheet.name)).toEqual([
      '封面',
      '新增人员动态台账',
      '退出人员动态台账',
      '参保职工人员动态台账',
    ]);
    expect(dataRows(book, '新增人员动态台账')).toHaveLength(added);
    expect(dataRows(book, '退出人员动态台账')).toHaveLength(exited);
    const text = pdfText(ledger.pdf);
    for (const title of ['新增人员动态台账', '退出人员动态台账', '参保职工人员动态台账'])
      expect(text).toContain(title);
  });
});

describe('慢病台账 and 两病台账 as two volumes', () => {
  it('counts the people holding a certificate on the day, each volume its own diseases', async () => {
    const chronic = await make('chronic', { kind: 'chronic', asOf: '2026-06-30' });
    const twoDisease = await make('two', { kind: 'two-disease', asOf: '2026-06-30' });
    const holders = (kinds: string[]) =>
      count(sql<{ n: string }>`select count(distinct d.person_id) as n from disease_certificate d
        join assistance_status s on s.person_id = d.person_id and s.included_on <= '2026-06-30'
          and (s.exited_on is null or s.exited_on > '2026-06-30')
        where d.kind in (${sql.join(kinds)}) and d.issued_on <= '2026-06-30'
          and (d.revoked_on is null or d.revoked_on > '2026-06-30')`);
    const chronicPeople = await holders(['chronic']);
    const twoPeople = await holders(['hypertension', 'diabetes']);
    expect(chronicPeople).toBeGreaterThan(5);
    expect(coverValue(chronic, '办理人数')).toBe(`${chronicPeople} 人`);
    expect(coverValue(twoDisease, '办理人数')).toBe(`${twoPeople} 人`);
    const diseases = new Set(dataRows(await workbook(twoDisease.xlsx), '两病台账').map((row) => row[5]));
    expect([...diseases].sort()).toEqual(['糖尿病', '高血压'].sort());
    expect(pdfText(chronic.pdf)).toMatch(new RegExp(`办理人数\\s+${chronicPeople} 人`));
    expect(chronic.filed.archiveCode).not.toBe(twoDisease.filed.archiveCode);
  });
});

describe('bad orders', () => {
  const items = async () => count(sql<{ n: string }>`select count(*) as n from archive_item`);

  it('refuses a wrong or missing period with a clear message, filing nothing', async () => {
    const before = await items();
    const cases: Array<[Parameters<typeof makeLedger>[1], string]> = [
      [{ kind: 'dynamic', month: '2026-13' }, 'YYYY-MM'],
      [{ kind: 'dynamic', asOf: '2026-06-30' }, '月份'],
      [{ kind: 'enrollment', asOf: '2026-07-06' }, '晚于今天'],
      [{ kind: 'enrollment', asOf: '2026-02-30' }, '应为日期'],
      [{ kind: 'benefits', from: '2026-06-30', to: '2026-01-01' }, '晚于截止日期'],
      [{ kind: 'benefits', from: '2020-01-01', to: '2026-01-01' }, '期间过长'],
      [{ kind: 'chronic' }, '截至日期'],
    ];
    for (const [order, words] of cases) {
      const error = await failure(
        makeLedger({ access: SYSTEM, db: db(), store: system.store }, order, maker, now),
      );
      expect(error.code, JSON.stringify(order)).toBe('LEDGER_PERIOD');
      expect(error.message).toContain(words);
    }
    expect(await items()).toBe(before);
  });

  it('asks which fonds when there are two', async () => {
    await createFonds(db(), { code: 'J014', name: '南京市溧水区医疗保障局', regionCode: '320117' }, 'test');
    const error = await failure(
      makeLedger(
        { access: SYSTEM, db: db(), store: system.store },
        { kind: 'chronic', asOf: '2026-06-30' },
        maker,
        now,
      ),
    );
    expect(error.code).toBe('FONDS_REQUIRED');
    const chosen = await makeLedger(
      { access: SYSTEM, db: db(), store: system.store },
      { kind: 'chronic', asOf: '2026-06-30', fonds: 'J014' },
      maker,
      now,
    );
    expect(chosen.filed.archiveCode.startsWith('J014')).toBe(true);
    expect(chosen.document.agency).toBe('南京市溧水区医疗保障局');
  });
});
