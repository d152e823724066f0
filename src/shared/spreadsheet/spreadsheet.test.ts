import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { gbk } from '../../../test/helpers/gbk.js';
import { buildZip, rowsXml, sheetXml, workbookParts, xlsxOf } from '../../../test/helpers/xlsx-zip.js';
import { isYidangError, type YidangError } from '../errors.js';
import { newStats } from './limits.js';
import { type ReadOptions, readSpreadsheet } from './spreadsheet.js';

// The spreadsheet reader counts what it inflates and parses, never trusting what a file says of itself,
// and stops at the first bound passed. No database is involved: these run once, on either engine.
// Most read in place (starting a worker under the test runner compiles it first); the worker is tested
// for giving the same rows and the same refusals.

const MIB = 1024 * 1024;

async function refusal(content: Buffer, options: ReadOptions = {}) {
  const stats = newStats();
  const started = Date.now();
  const error = await readSpreadsheet(content, { thread: 'inline', ...options, stats }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isYidangError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { error: error as YidangError, stats, elapsed: Date.now() - started };
}

/** A sheet whose XML inflates to `size` bytes of blanks: deflate makes it about a thousand times smaller. */
const hugeSheet = (size: number) => sheetXml(' '.repeat(size));

describe('an XLSX whose zip lies or is too large', () => {
  const inflated = 32 * MIB;
  const sheet = hugeSheet(inflated);

  it('stops an entry that inflates past the size it declares, having inflated almost nothing', async () => {
    const liars = [{ uncompressed: 4096 }, { uncompressed: 4096, compressed: 200 }].map((declare) =>
      buildZip(workbookParts({ data: sheet, declare, level: 9 })),
    );
    for (const file of liars) {
      expect(file.length).toBeLessThan(inflated / 500);
      const { error, stats, elapsed } = await refusal(file);
      expect(error.code).toBe('IMPORT_UNSAFE');
      expect(stats.bytesRead).toBeLessThan(MIB);
      expect(elapsed).toBeLessThan(3000);
    }
  });

  it('counts the bytes it inflates, and stops at the total, per entry and ratio bounds', async () => {
    const honest = buildZip(workbookParts({ data: sheet, level: 9 }));
    // At most 200 times what the entry takes in the file.
    const ratio = await refusal(honest);
    expect(ratio.error.code).toBe('IMPORT_UNSAFE');
    expect(ratio.error.message).toContain('压缩炸弹');
    expect(ratio.stats.bytesRead).toBeLessThan(honest.length * 200 + 256 * 1024);
    expect(ratio.stats.bytesRead).toBeLessThan(inflated / 4);

    const total = await refusal(honest, { limits: { maxInflateRatio: 1e9, maxInflatedBytes: 8 * MIB } });
    expect(total.error).toMatchObject({ code: 'IMPORT_TOO_LARGE', message: expect.stringContaining('8 MB') });
    // Sizes declared past the bound are refused before anything is inflated (true or not, they are
    // bounded: an entry inflating past its declared size is stopped, as above).
    expect(total.stats.bytesRead).toBe(0);

    const entry = await refusal(honest, { limits: { maxInflateRatio: 1e9, maxEntryBytes: 4 * MIB } });
    expect(entry.error).toMatchObject({
      code: 'IMPORT_TOO_LARGE',
      message: expect.stringContaining('单个部件'),
    });
    expect(entry.error.message).toContain('4 MB');
    expect(entry.stats.bytesRead).toBeGreaterThan(4 * MIB);
    expect(entry.stats.bytesRead).toBeLessThan(4 * MIB + 256 * 1024);
  });

  it('refuses, on the worker thread too, with the same code and what it cost', async () => {
    const file = buildZip(workbookParts({ data: sheet, declare: { uncompressed: 4096 }, level: 9 }));
    const { error, stats } = await refusal(file, { thread: 'worker' });
    expect(error.code).toBe('IMPORT_UNSAFE');
    expect(stats.bytesRead).toBeGreaterThan(0);
    expect(stats.bytesRead).toBeLessThan(MIB);
  });

  it('refuses more entries than the bound, and names that climb out of the package or repeat', async () => {
    const parts = workbookParts({ data: sheetXml(rowsXml([['姓名'], ['甲']])) });
    await expect(readSpreadsheet(buildZip(parts))).resolves.toMatchObject({ rows: [{}, {}] });
    const padding = Array.from({ length: 30 }, (_, index) => ({
      name: `xl/media/image${index}.png`,
      data: 'x',
    }));
    expect(
      (await refusal(buildZip([...parts, ...padding]), { limits: { maxEntries: 20 } })).error,
    ).toMatchObject({
      code: 'IMPORT_TOO_LARGE',
      message: expect.stringContaining('20 个'),
    });
    for (const name of [
      '../../etc/evil.xml',
      'xl/../../evil.xml',
      '/xl/evil.xml',
      'xl\\evil.xml',
      'C:/evil.xml',
    ])
      expect((await refusal(buildZip([...parts, { name, data: 'x' }]))).error.code, name).toBe(
        'IMPORT_UNSAFE',
      );
    const twice = buildZip([...parts, { name: 'XL/Workbook.xml', data: '<workbook/>' }]);
    expect((await refusal(twice)).error).toMatchObject({
      code: 'IMPORT_UNSAFE',
      message: expect.stringContaining('重名'),
    });
  });
  it('expands no entity a DTD declares (no billion laughs)', async () => {
    const laughs = `<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`;
    const sheet = `${laughs}<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>`;
    const { error } = await refusal(buildZip(workbookParts({ data: sheet })));
    expect(error).toMatchObject({ code: 'IMPORT_UNREADABLE', message: expect.stringContaining('entity') });
  });
});

describe('a sheet with more rows, columns or cells than the bounds', () => {
  it('stops counting rows as soon as the bound is passed, not after reading them all', async () => {
    const rows = [
      ['姓名', '身份证号'],
      ...Array.from({ length: 50_000 }, (_, index) => [`张${index}`, `${index}`]),
    ];
    const file = xlsxOf(rows);
    const sheetBytes = Buffer.byteLength(sheetXml(rowsXml(rows)));
    const { error, stats } = await refusal(file, { limits: { maxRows: 1000 } });
    expect(error).toMatchObject({ code: 'IMPORT_TOO_LARGE', message: expect.stringContaining('1000 行') });
    // The header, the 1000 rows allowed and the one past them.
    expect(stats.rowsRead).toBe(1002);
    expect(stats.bytesRead).toBeLessThan(sheetBytes / 10);
    const within = await readSpreadsheet(file, { thread: 'inline', limits: { maxRows: 50_000 } });
    expect(within.rows).toHaveLength(50_001);
  });

  it('keeps the default of 200,000 data rows, counted in a CSV as it is decoded', async () => {
    const lines = (count: number) =>
      Buffer.from(
        ['姓名,金额', ...Array.from({ length: count }, (_, index) => `人${index},${index}`)].join('\n'),
      );
    const { error, stats } = await refusal(lines(200_001), { thread: 'inline' });
    expect(error).toMatchObject({ code: 'IMPORT_TOO_LARGE', message: expect.stringContaining('200000 行') });
    expect(stats.rowsRead).toBe(200_002);
  });

  it('stops a CSV, GBK or UTF-8, at its bytes, rows and columns', async () => {
    const line = gbk(`张三,110101199003070012,${'备注'.repeat(20)}\r\n`);
    const file = Buffer.concat([
      gbk('姓名,身份证号,备注\r\n'),
      ...Array.from({ length: 50_000 }, () => line),
    ]);
    const rows = await refusal(file, { limits: { maxRows: 100 } });
    expect(rows.error.code).toBe('IMPORT_TOO_LARGE');
    expect(rows.stats.rowsRead).toBe(102);
    expect(rows.stats.bytesRead).toBeLessThan(file.length / 2);
    const bytes = await refusal(file, { limits: { maxFileBytes: 1000 } });
    expect(bytes.error.message).toContain('1000 字节');
    expect(bytes.stats.bytesRead).toBe(0);
    const wide = Buffer.from(`${Array.from({ length: 40 }, (_, index) => `列${index}`).join(',')}\n`);
    expect((await refusal(wide, { limits: { maxColumns: 32 } })).error.message).toContain('32 列');
  });

  it('refuses a cell past the last column allowed, and a merge that would fill too many cells', async () => {
    const far = sheetXml(
      '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="ZZ1" t="inlineStr"><is><t>x</t></is></c></row>',
    );
    expect(
      (await refusal(buildZip(workbookParts({ data: far })), { limits: { maxColumns: 100 } })).error.message,
    ).toContain('100 列');
    const merged = sheetXml(
      rowsXml([['标题'], ['姓名']]),
      '<mergeCells count="1"><mergeCell ref="A1:Z1048576"/></mergeCells>',
    );
    const { error } = await refusal(buildZip(workbookParts({ data: merged })), {
      limits: { maxCells: 10_000 },
    });
    expect(error).toMatchObject({ code: 'IMPORT_TOO_LARGE', message: expect.stringContaining('单元格总数') });
  });
});

describe('what the cells say', () => {
  const styles = `<styleSheet><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>
    <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
    <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="31"/><xf numFmtId="22"/></cellXfs></styleSheet>`;
  const shared = `<sst><si><t>姓名</t></si><si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r><rPh sb="0" eb="1"><t>ZHANG</t></rPh></si></sst>`;
  const sheet = `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
    <x:row r="3"><x:c r="A3" t="s"><x:v>0</x:v></x:c><x:c r="B3" t="inlineStr"><x:is><x:t>备注</x:t></x:is></x:c></x:row>
    <x:row r="4"><x:c r="A4" t="s"><x:v>1</x:v></x:c><x:c r="B4" s="1"><x:v>45366</x:v></x:c><x:c r="C4" s="2"><x:v>45366</x:v></x:c>
      <x:c r="D4" s="3"><x:v>45366</x:v></x:c><x:c r="E4" s="4"><x:v>45366.5</x:v></x:c><x:c r="F4"><x:v>320115198503125000</x:v></x:c></x:row>
    <x:row r="5"><x:c r="A5" t="b"><x:v>1</x:v></x:c><x:c r="B5" t="e"><x:v>#N/A</x:v></x:c><x:c r="C5"><x:f t="shared" si="0"/><x:v>3</x:v></x:c>
      <x:c r="D5" t="str"><x:f>CONCAT("a","b")</x:f><x:v>ab</x:v></x:c><x:c r="E5" t="s"><x:v>99</x:v></x:c></x:row>
    <x:row r="7"><x:c r="C7"><x:v>7</x:v></x:c></x:row>
    <x:row r="6"><x:c r="A6" s="1"/><x:c r="B6"><x:v>6</x:v></x:c></x:row>
    </x:sheetData><x:mergeCells><x:mergeCell ref="B3:B4"/><x:mergeCell ref="C7:C8"/></x:mergeCells></x:worksheet>`;
  const file = buildZip(workbookParts({ data: sheet }, { styles, sharedStrings: shared }));

  it('reads shared and inline text, dates by their format, and says why other cells cannot be used', async () => {
    const { format, source, firstLine, rows } = await readSpreadsheet(file);
    expect({ format, source, firstLine }).toEqual({ format: 'xlsx', source: '名单', firstLine: 3 });
    expect(rows.map((row) => row.line)).toEqual([3, 4, 5, 6, 7, 8]);
    const texts = rows.map((row) => row.cells.map((cell) => cell.text));
    expect(texts[0]).toEqual(['姓名', '备注']);
    // B4 is covered by the merge of B3:B4, so shows 备注 as Excel does.
    expect(texts[1]).toEqual([
      '张三',
      '备注',
      '2024-03-15',
      '2024-03-15',
      '2024-03-15T12:00:00+08:00',
      '320115198503125000',
    ]);
    expect(rows[1]?.cells[5]?.problem).toContain('失真');
    expect(texts[2]?.[0]).toBe('是');
    expect(rows[2]?.cells.map((cell) => cell.problem)).toEqual([
      undefined,
      expect.stringContaining('#N/A'),
      expect.stringContaining('公式'),
      expect.stringContaining('公式'),
      expect.stringContaining('无法识别'),
    ]);
    // Rows written out of order come in order; a styled empty cell is no value.
    expect(texts[3]).toEqual(['', '6']);
    expect(texts[4]).toEqual(['', '', '7']);
    expect(texts[5]).toEqual(['', '', '7']);
  });

  it('reads the same rows on a worker thread as in place, for what exceljs writes too', async () => {
    const workbook = new ExcelJS.Workbook();
    const list = workbook.addWorksheet('低保名单');
    list.addRow(['低保对象名单']);
    list.mergeCells('A1:C1');
    list.addRow(['姓名', '身份证号', '认定日期']);
    list.addRow(['李四', '110101199003070012', new Date(Date.UTC(2025, 0, 2))]);
    list.addRow(['王五', 110101199003070000, { formula: 'TODAY()', result: new Date() }]);
    const written = Buffer.from(await workbook.xlsx.writeBuffer());
    for (const content of [written, file]) {
      const inline = await readSpreadsheet(content, { thread: 'inline' });
      expect(await readSpreadsheet(content, { thread: 'worker' })).toEqual(inline);
    }
    const { rows } = await readSpreadsheet(written);
    expect(rows.map((row) => row.cells.map((cell) => cell.text))).toEqual([
      ['低保对象名单', '低保对象名单', '低保对象名单'],
      ['姓名', '身份证号', '认定日期'],
      ['李四', '110101199003070012', '2025-01-02'],
      ['王五', '110101199003070000', ''],
    ]);
  });

  it('counts a 1904 workbook from 1904', async () => {
    const dated = buildZip(
      workbookParts(
        { data: sheetXml('<row r="1"><c r="A1" s="1"><v>0</v></c></row>') },
        { styles, date1904: true },
      ),
    );
    expect((await readSpreadsheet(dated)).rows[0]?.cells[0]?.text).toBe('1904-01-01');
  });
});
