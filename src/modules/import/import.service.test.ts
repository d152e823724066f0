import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, validId, wrongCheckId } from '../../../test/helpers/fixtures.js';
import { createFonds } from '../catalog/fonds.service.js';
import { importReport } from './import.report.js';
import { importTable, loadMapping, saveImportMapping } from './import.service.js';

// Batch import on a real database: every row checked first, reasons per row and field, batches that
// commit whole, all-or-nothing, a re-run after a crash that files only what is missing, and files
// that are not what they claim (GBK, formulas, IDs stored as numbers, empty sheets, zip bombs, .xls).

let database: TestDatabase;
const db = () => database.db;

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
});
afterAll(() => database?.close());

const HEADER = '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital';
const row = (index: number, overrides: Partial<Record<'title' | 'date' | 'id', string>> = {}) =>
  [
    'J013',
    'JSLX',
    'JSK',
    overrides.title ?? `王建国${index} 门诊费用报销审核表`,
    overrides.date ?? '2024-03-15',
    '江宁区医保局',
    `王建国${index}`,
    overrides.id ?? validId(`3201151985031${String(index).padStart(4, '0')}`),
    '88.50',
    '江宁医院',
  ].join(',');
const csv = (...rows: string[]) => ({
  name: 'ledger.csv',
  content: Buffer.from([HEADER, ...rows].join('\n')),
});

const itemCount = async () =>
  Number(
    (
      await db()
        .selectFrom('archive_item')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function readReport(buffer: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const rows: string[][] = [];
  workbook
    .getWorksheet('逐行结果')
    ?.eachRow((line) => rows.push((line.values as unknown[]).slice(1).map(String)));
  return rows;
}

describe('importing a CSV', () => {
  it('files every valid row and names each rejected one with its field and reason, in the report too', async () => {
    const before = await itemCount();
    const result = await importTable(
      db(),
      csv(
        row(1),
        row(2, { id: wrongCheckId('32011519850312123') }),
        row(3, { date: '2024-02-30' }),
        row(4, { title: '' }),
      ),
      'importer',
      { access: SYSTEM },
    );
    expect(result).toMatchObject({
      format: 'csv',
      source: 'utf-8',
      total: 4,
      filed: 1,
      rejected: 3,
      skipped: 0,
    });
    expect(result.lines.map((line) => line.line)).toEqual([2, 3, 4, 5]);
    expect(result.lines[0]?.archiveCode).toMatch(/^J013-JSLX·2024-D30-JSK-\d{4}$/);
    expect(result.lines[1]?.issues.map((issue) => issue.field)).toEqual(['idNumber']);
    expect(result.lines[2]?.issues.map((issue) => issue.field)).toEqual(['date']);
    expect(result.lines[3]?.issues.map((issue) => issue.field)).toEqual(['title']);
    expect(await itemCount()).toBe(before + 1);
    const report = await readReport(await importReport(result));
    expect(report[0]).toEqual(['行号', '结果', '档号', '字段', '原因']);
    expect(report.find((line) => line[0] === '3')).toEqual(
      expect.arrayContaining(['未通过', expect.stringMatching(/校验/)]),
    );
  });

  it('reads a GBK export of Chinese office software', async () => {
    const text = `${HEADER}
J013,JSLX,JSK,张三 门诊费用报销审核表,2024-03-15,江宁区医保局,张三,320115198503121236,88.5,江宁医院
`;
    const gbk = Buffer.from(
      'c8abd7dabac52cc0e0b1f02cbbfab9b92ccce2c3fb2cc8d5c6da2cd4f0c8ced5df2cd0d5c3fb2cc9edb7ddd6a4bac52cbdf0b6ee2c65787472612e686f73706974616c0a4a3031332c4a534c582c4a534b2cd5c5c8fd20c3c5d5efb7d1d3c3b1a8cffac9f3bacbb1ed2c323032342d30332d31352cbdadc4fec7f8d2bdb1a3bed62cd5c5c8fd2c3332303131353139383530333132313233362c38382e352cbdadc4fed2bdd4ba0a',
      'hex',
    );
    expect(new TextDecoder('gb18030').decode(gbk)).toBe(text);
    const result = await importTable(db(), { name: 'gbk.csv', content: gbk }, 'importer', { access: SYSTEM });
    expect(result).toMatchObject({ source: 'gb18030', filed: 1, rejected: 0 });
    const item = await db()
      .selectFrom('archive_item')
      .select(['title', 'person_name'])
      .where('archive_code', '=', result.lines[0]?.archiveCode as string)
      .executeTakeFirstOrThrow();
    expect(item).toEqual({ title: '张三 门诊费用报销审核表', person_name: '张三' });
  });

  it('files nothing when asked for all or nothing and one row is wrong', async () => {
    const before = await itemCount();
    const result = await importTable(db(), csv(row(11), row(12, { date: 'x' }), row(13)), 'importer', {
      access: SYSTEM,
      allOrNothing: true,
    });
    expect(result.lines.map((line) => line.status)).toEqual(['withheld', 'rejected', 'withheld']);
    expect(await itemCount()).toBe(before);
  });

  it('after a crash between batches, files only the rest when run again, and nothing on a third run', async () => {
    const file = csv(row(21), row(22), row(23), row(24), row(25));
    const before = await itemCount();
    const crash = new Error('killed');
    await expect(
      importTable(db(), file, 'importer', {
        access: SYSTEM,
        batchSize: 2,
        onProgress: (done) => {
          if (done === 2) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(await itemCount()).toBe(before + 2);
    const again = await importTable(db(), file, 'importer', { access: SYSTEM, batchSize: 2 });
    expect(again).toMatchObject({ resumed: true, skipped: 2, filed: 3, rejected: 0 });
    expect(await itemCount()).toBe(before + 5);
    const third = await importTable(db(), file, 'importer', { access: SYSTEM, batchSize: 2 });
    expect(third).toMatchObject({ skipped: 5, filed: 0 });
    expect(third.lines.map((line) => line.archiveCode)).toEqual(again.lines.map((line) => line.archiveCode));
    expect(await itemCount()).toBe(before + 5);
  });

  it('refuses a file missing required columns or a mapping naming unknown fields, before checking rows', async () => {
    const noTitle = { name: 'x.csv', content: Buffer.from('全宗号,类别,日期\nJ013,JSLX,2024-01-01\n') };
    const missing = await failure(importTable(db(), noTitle, 'importer', { access: SYSTEM }));
    expect(missing.code).toBe('IMPORT_COLUMNS_MISSING');
    expect(missing.message).toContain('题名');
    expect(
      (
        await failure(
          importTable(db(), csv(row(31)), 'importer', {
            access: SYSTEM,
            mapping: { columns: { 题名: 'titel' } },
          }),
        )
      ).code,
    ).toBe('MAPPING_INVALID');
    expect(
      (
        await failure(
          importTable(db(), csv(row(31)), 'importer', {
            access: SYSTEM,
            mapping: { columns: { 标题: 'title' } },
          }),
        )
      ).code,
    ).toBe('IMPORT_COLUMNS_MISSING');
    expect(
      (
        await failure(
          importTable(db(), { name: 'e.csv', content: Buffer.from('\n\n') }, 'importer', { access: SYSTEM }),
        )
      ).code,
    ).toBe('IMPORT_EMPTY');
  });

  it('maps other headers and fixed values through a saved mapping', async () => {
    await saveImportMapping(
      db(),
      '江宁结算系统',
      {
        columns: { 标题: 'title', 业务日期: 'date', 医院: 'extra.hospital', 证件号: 'idNumber' },
        defaults: { fonds: 'J013', category: 'JSLX', org: 'JSK', responsible: '江宁区医保局' },
      },
      'archivist',
    );
    const mapping = await loadMapping(db(), '江宁结算系统');
    const file = {
      name: 'm.csv',
      content: Buffer.from(
        `标题,业务日期,医院,证件号,姓名,金额\n李四 住院结算单,2024-05-01,江宁医院,${validId('32011519850312777')},李四,300\n`,
      ),
    };
    const result = await importTable(db(), file, 'importer', { access: SYSTEM, mapping });
    expect(result).toMatchObject({ filed: 1, rejected: 0 });
    const item = await db()
      .selectFrom('archive_item')
      .select(['title', 'extra'])
      .where('archive_code', '=', result.lines[0]?.archiveCode as string)
      .executeTakeFirstOrThrow();
    expect(item.title).toBe('李四 住院结算单');
    expect(JSON.stringify(item.extra)).toContain('江宁医院');
    expect((await failure(loadMapping(db(), '没有这个'))).code).toBe('MAPPING_NOT_FOUND');
  });
});

describe('importing an XLSX', () => {
  async function xlsx(fill: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
    const workbook = new ExcelJS.Workbook();
    fill(workbook.addWorksheet('台账'));
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  it('reads dates and text, and refuses formulas and ID numbers stored as numbers, cell by cell', async () => {
    const content = await xlsx((sheet) => {
      sheet.addRow(HEADER.split(','));
      sheet.addRow([
        'J013',
        'JSLX',
        'JSK',
        '赵六 门诊费用报销审核表',
        new Date(Date.UTC(2024, 2, 15)),
        '江宁区医保局',
        '赵六',
        validId('32011519850312555'),
        12.5,
        '江宁医院',
      ]);
      sheet.addRow([
        'J013',
        'JSLX',
        'JSK',
        { formula: 'CONCAT("钱","七")', result: '钱七' },
        '2024-03-15',
        '江宁区医保局',
        '钱七',
        validId('32011519850312556'),
        1,
        '江宁医院',
      ]);
      sheet.addRow([
        'J013',
        'JSLX',
        'JSK',
        '孙八 门诊费用报销审核表',
        '2024-03-15',
        '江宁区医保局',
        '孙八',
        320115198503125000,
        1,
        '江宁医院',
      ]);
      sheet.addRow([]);
    });
    const result = await importTable(db(), { name: 'ledger.xlsx', content }, 'importer', { access: SYSTEM });
    expect(result).toMatchObject({ format: 'xlsx', source: '台账', total: 3, filed: 1, rejected: 2 });
    expect(result.lines[1]?.issues[0]).toMatchObject({
      field: 'title',
      message: expect.stringContaining('公式'),
    });
    expect(result.lines[2]?.issues[0]).toMatchObject({
      field: 'idNumber',
      message: expect.stringContaining('失真'),
    });
  });

  it('refuses an empty sheet, an old .xls, a damaged zip and a zip bomb, filing nothing', async () => {
    const before = await itemCount();
    const empty = await xlsx(() => {});
    expect(
      (await failure(importTable(db(), { name: 'e.xlsx', content: empty }, 'importer', { access: SYSTEM })))
        .code,
    ).toBe('IMPORT_EMPTY');
    const xls = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(512),
    ]);
    expect(
      (await failure(importTable(db(), { name: 'old.xls', content: xls }, 'importer', { access: SYSTEM })))
        .code,
    ).toBe('IMPORT_FORMAT');
    const damaged = Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(64, 7)]);
    expect(
      (
        await failure(
          importTable(db(), { name: 'bad.xlsx', content: damaged }, 'importer', { access: SYSTEM }),
        )
      ).code,
    ).toBe('IMPORT_UNREADABLE');
    const bomb = await xlsx((sheet) => {
      sheet.addRow(HEADER.split(','));
      sheet.addRow(['J013', 'JSLX', 'JSK', 'a'.repeat(8 * 1024 * 1024), '2024-03-15']);
    });
    expect(
      (await failure(importTable(db(), { name: 'bomb.xlsx', content: bomb }, 'importer', { access: SYSTEM })))
        .code,
    ).toBe('IMPORT_UNSAFE');
    expect(await itemCount()).toBe(before);
  });
});
