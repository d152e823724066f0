import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import '../../../test/helpers/field-key.js';
import { gbk } from '../../../test/helpers/gbk.js';
import {
  extractCsv,
  HEADERS,
  inpatient,
  outpatient,
  personId,
  settlementRows,
} from '../../../test/helpers/settlement-extract.js';
import { systemContext } from '../../shared/access-context.js';
import { maskIdNumber } from '../catalog/id-number.js';
import { listFundItems } from './fund-item.repo.js';
import { fieldOfHeader } from './settlement.fields.js';
import { importSettlementFile, MAX_EXTRACT_BYTES } from './settlement.import.js';
import { readSettlement } from './settlement.service.js';
import { checkSettlementRows } from './settlement.validate.js';

// Importing settlement extracts: CSV (UTF-8, GBK) and XLSX, every bad row refused with its reason and
// its settlement refused whole, nothing half-imported, and a re-run after a crash neither duplicating
// nor losing anything.

const SYSTEM = systemContext('fixture', 'test');
let database: TestDatabase;
const db = () => database.db;
const file = (name: string, text: string | Buffer) => ({
  name,
  content: typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
});
const count = async (table: 'fund_settlement' | 'fund_settlement_line') =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db())).rows[0]?.n,
  );

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

describe('importSettlementFile', () => {
  it('imports a UTF-8 CSV: settlements whole, person facts from the ID number, ID sealed', async () => {
    const report = await importSettlementFile(
      db(),
      SYSTEM,
      file(
        'jan.csv',
        extractCsv([outpatient('S0001'), inpatient('S0002', { idNumber: personId('32011519800229002') })]),
      ),
    );
    expect(report).toMatchObject({
      format: 'csv',
      rows: 9,
      settlements: 2,
      imported: 2,
      refused: 0,
      resumed: false,
    });
    expect(report.refusedRows).toEqual([]);
    const stay = await readSettlement(db(), SYSTEM, 'S0002');
    expect(stay).toMatchObject({
      visitType: '住院',
      stayDays: 3,
      primaryDx: 'J18.900',
      otherDx: ['I10.x00', 'E11.900'],
      totalCost: '185.00',
      lineCount: 7,
      person: { sex: '女', idNumber: maskIdNumber(personId('32011519800229002')) },
    });
    expect(stay.lines[6]).toMatchObject({
      itemCategory: '诊疗',
      itemName: '血常规',
      quantity: '1.000',
      amount: '20.00',
    });
    const person = await sql<{ sealed: string; birth: string }>`
      select id_number_sealed as sealed, birth_date as birth from fund_person
      where person_key = (select person_key from fund_settlement where serial = 'S0002')`.execute(db());
    expect(person.rows[0]?.birth).toBe('1980-02-29');
    expect(person.rows[0]?.sealed).toMatch(/^v1:/);
    expect(person.rows[0]?.sealed).not.toContain('3201151980');
  });

  it('reads GBK CSV (detected, or named) and XLSX', async () => {
    const gbkCsv = gbk(
      extractCsv([
        outpatient('S0101', {
          admit: '2025-05-01',
          lines: outpatient('x').lines.map((line) => ({ ...line, date: '2025-05-01' })),
        }),
      ]),
    );
    expect(await importSettlementFile(db(), SYSTEM, file('gbk.csv', gbkCsv))).toMatchObject({
      source: 'gb18030',
      imported: 1,
    });
    const named = gbk(extractCsv([outpatient('S0102')]));
    expect(
      await importSettlementFile(db(), SYSTEM, file('named.csv', named), { encoding: 'gbk' }),
    ).toMatchObject({
      imported: 1,
    });
    await expect(
      importSettlementFile(db(), SYSTEM, file('wrong.csv', gbk(extractCsv([outpatient('S0103')]))), {
        encoding: 'utf8',
      }),
    ).rejects.toMatchObject({ code: 'FUND_IMPORT_INVALID' });
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('结算清单');
    sheet.addRow(HEADERS);
    for (const row of settlementRows(outpatient('S0104'))) sheet.addRow(row);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    expect(await importSettlementFile(db(), SYSTEM, file('x.xlsx', xlsx))).toMatchObject({
      format: 'xlsx',
      imported: 1,
    });
    expect((await readSettlement(db(), SYSTEM, 'S0104')).lines).toHaveLength(2);
  });

  it('refuses each bad row with its reason, and its settlement whole', async () => {
    const before = {
      settlements: await count('fund_settlement'),
      lines: await count('fund_settlement_line'),
    };
    const bad = [
      outpatient('B01', {
        lines: [
          { code: 'NOSUCHITEM', quantity: '1', price: '10', date: '2025-03-10' },
          ...outpatient('x').lines,
        ],
      }),
      outpatient('B02', {
        lines: [{ code: '110100001000000', quantity: '-1', price: '10', amount: '0', date: '2025-03-10' }],
      }),
      outpatient('B03', {
        lines: [{ code: '110100001000000', quantity: '0', price: '10', amount: '0', date: '2025-03-10' }],
      }),
      inpatient('B04', { admit: '2025-04-05', discharge: '2025-04-01' }),
      outpatient('B05', { dx: '肺炎' }),
      outpatient('B06', { otherDx: 'J06.900;XYZ' }),
      outpatient('B07', {
        lines: [
          { code: '110100001000000', quantity: '2', price: '10.00', amount: '25.00', date: '2025-03-10' },
        ],
      }),
      outpatient('B08', { idNumber: `${personId().slice(0, 17)}${personId().endsWith('1') ? '2' : '1'}` }),
      outpatient('B09', { institution: '' }),
      outpatient('B10', { total: '999.00' }),
      outpatient('S0001'),
    ];
    const text = extractCsv(bad, [
      // B11 twice in the file with different content (another 医疗费总额 on its second row).
      ...settlementRows(outpatient('B11')).map((row, index) =>
        index === 1 ? row.map((cell, at) => (at === 11 ? '1.00' : cell)) : row,
      ),
    ]);
    const report = await importSettlementFile(db(), SYSTEM, file('bad.csv', text));
    expect(report.imported).toBe(0);
    expect(report.refused).toBe(12);
    const reasons = (serial: string) =>
      report.refusedRows.filter((row) => row.serial === serial).map((row) => row.code);
    expect(reasons('B01')).toEqual(['unknown_item', 'sibling', 'sibling']);
    expect(reasons('B02')).toEqual(['quantity']);
    expect(reasons('B03')).toEqual(['quantity']);
    expect(reasons('B04')).toContain('dates');
    expect(reasons('B05')).toContain('diagnosis');
    expect(reasons('B06')).toContain('diagnosis');
    expect(reasons('B07')).toEqual(['amount']);
    expect(reasons('B08')[0]).toBe('id_number');
    expect(reasons('B09')[0]).toBe('missing');
    expect(reasons('B10')[0]).toBe('totals');
    expect(reasons('S0001')).toEqual(['already_imported', 'already_imported']);
    expect(reasons('B11')).toContain('duplicate_in_file');
    const b04 = report.refusedRows.find((row) => row.serial === 'B04' && row.code === 'dates');
    expect(b04?.message).toContain('早于入院日期');
    // No ID number in any message (the wrong check digit is not echoed).
    expect(JSON.stringify(report)).not.toMatch(/\d{17}[\dX]/);
    expect(await count('fund_settlement')).toBe(before.settlements);
    expect(await count('fund_settlement_line')).toBe(before.lines);
  });

  it('refuses numbers past their column and text the database cannot hold by row, never failing half-way', async () => {
    const before = await count('fund_settlement');
    const line = (quantity: string, price: string) => [
      { code: '110100001000000', quantity, price, date: '2025-03-10' },
    ];
    const huge = [
      outpatient('N01', { lines: line('1000000000', '0.01') }),
      outpatient('N02', { lines: line('1', '99999999999.00') }),
    ];
    const nul = settlementRows(outpatient('N03')).map((row, index) =>
      index === 0
        ? row.map((cell, at) => (at === HEADERS.indexOf('定点医药机构名称') ? '医院\u0000名' : cell))
        : row,
    );
    const text = extractCsv([outpatient('N05'), ...huge, outpatient('N06')], nul);
    const report = await importSettlementFile(db(), SYSTEM, file('numbers.csv', text), { batchSize: 1 });
    const refused = (serial: string) => report.refusedRows.filter((row) => row.serial === serial);
    expect(
      refused('N01')
        .map((row) => row.message)
        .join(),
    ).toContain('整数部分最多9位');
    expect(
      refused('N02')
        .map((row) => row.message)
        .join(),
    ).toContain('整数部分最多10位');
    expect(refused('N03')[0]?.message).toContain('无法保存的字符');
    // Every row of a refused settlement is named; the good ones are written whole.
    expect(refused('N03').length).toBe(settlementRows(outpatient('N03')).length);
    expect(report.imported).toBe(2);
    expect(await count('fund_settlement')).toBe(before + 2);
    expect(JSON.stringify(report)).not.toContain('\u0000');
    // A pushed batch (JSON may carry half a surrogate pair) is checked by the same rows.
    const [pushed] = settlementRows(outpatient('N04'));
    const fields = Object.fromEntries(
      HEADERS.map((header, at) => [
        fieldOfHeader(header),
        at === HEADERS.indexOf('项目名称') ? '药\ud800品' : (pushed?.[at] ?? ''),
      ]).filter(([field]) => field !== undefined),
    );
    const items = new Map((await listFundItems(db())).map((item) => [item.code, item]));
    const checked = checkSettlementRows([{ row: 1, fields }], items);
    expect(checked.good).toEqual([]);
    expect(checked.refusals[0]?.message).toContain('无法保存的字符');
  });

  it('refuses a file past the limit before reading it, and a file without the needed columns', async () => {
    const huge = Buffer.alloc(MAX_EXTRACT_BYTES + 1, 0x41);
    await expect(importSettlementFile(db(), SYSTEM, file('big.csv', huge))).rejects.toMatchObject({
      code: 'IMPORT_TOO_LARGE',
      message: expect.stringContaining('超过结算数据导入上限'),
    });
    await expect(
      importSettlementFile(db(), SYSTEM, file('cols.csv', '结算流水号,数量\r\nX1,1\r\n')),
    ).rejects.toMatchObject({
      code: 'FUND_IMPORT_INVALID',
      message: expect.stringContaining('缺少列'),
    });
  });

  it('after a crash between batches, a re-run writes only the rest; a third run nothing', async () => {
    const settlements = Array.from({ length: 7 }, (_, index) =>
      outpatient(`R${String(index).padStart(3, '0')}`, {
        idNumber: personId(`32011519900101${String(index).padStart(3, '0')}`),
      }),
    );
    const text = extractCsv(settlements);
    const killed = new Error('killed');
    await expect(
      importSettlementFile(db(), SYSTEM, file('resume.csv', text), {
        batchSize: 3,
        onBatch: (done) => {
          if (done >= 3) throw killed;
        },
      }),
    ).rejects.toBe(killed);
    const written = await sql<{
      n: number;
    }>`select count(*)::int as n from fund_settlement where serial like 'R%'`.execute(db());
    expect(written.rows[0]?.n).toBe(3);
    const again = await importSettlementFile(db(), SYSTEM, file('resume.csv', text), { batchSize: 3 });
    expect(again).toMatchObject({ resumed: true, imported: 4, skipped: 3, refused: 0 });
    const third = await importSettlementFile(db(), SYSTEM, file('resume.csv', text));
    expect(third).toMatchObject({ resumed: true, imported: 0, skipped: 7, refused: 0 });
    const rows = await sql<{ n: number; lines: number }>`
      select count(*)::int as n, (select count(*)::int from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id
        where s.serial like 'R%') as lines from fund_settlement where serial like 'R%'`.execute(db());
    expect(rows.rows[0]).toEqual({ n: 7, lines: 14 });
  });

  it('records one event per import, with counts and digests but no ID number or diagnosis', async () => {
    const events = await sql<{ payload: string; subject: string }>`
      select payload, subject from integrity_event where action = 'fund.settlements_imported' order by seq`.execute(
      db(),
    );
    expect(events.rows.length).toBeGreaterThanOrEqual(6);
    const first = JSON.parse(events.rows[0]?.payload as string);
    expect(first).toMatchObject({ via: 'file', rows: 9, settlements: 2, imported: 2, refused: 0 });
    expect(events.rows[0]?.subject).toMatch(/^fund-import:\d+$/);
    const all = events.rows.map((row) => row.payload).join('\n');
    expect(all).not.toMatch(/\d{17}[\dX]|J18|I10|E11|J06/);
  });
});
