import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import { invalid } from '../../shared/errors.js';

// Reads a CSV or XLSX file into rows of cell texts, refusing what cannot be read safely: an XLSX that
// would inflate past what any ledger needs (a zip bomb), the old binary .xls, a sheet with nothing in
// it. CSV exported by Chinese office software is usually GBK: text that is not valid UTF-8 is read as
// GB 18030 (a superset of GBK).

export const MAX_IMPORT_ROWS = 200_000;
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;
const MAX_INFLATE_RATIO = 200;
const MAX_CELL_CHARS = 10_000;

export interface Cell {
  text: string;
  /** Why the cell's value cannot be used as it is (a formula, an error value, a number too long). */
  problem?: string;
}

export interface TableRow {
  /** Line in the file (CSV) or row number in the sheet (XLSX), as the user sees it. */
  line: number;
  cells: Cell[];
}

export interface Table {
  format: 'csv' | 'xlsx';
  /** utf-8, utf-16le or gb18030 for CSV; the sheet's name for XLSX. */
  source: string;
  headers: string[];
  rows: TableRow[];
}

const isBlank = (cells: readonly Cell[]) => cells.every((cell) => cell.text.trim() === '' && !cell.problem);

function tableOf(format: Table['format'], source: string, rows: TableRow[]): Table {
  const [header, ...data] = rows.filter((row) => !isBlank(row.cells));
  if (!header) throw invalid('IMPORT_EMPTY', format === 'csv' ? '文件中没有数据' : `工作表“${source}”为空`);
  if (data.length > MAX_IMPORT_ROWS)
    throw invalid('IMPORT_TOO_LARGE', `一次最多导入 ${MAX_IMPORT_ROWS} 行，文件有 ${data.length} 行，请拆分`);
  return { format, source, headers: header.cells.map((cell) => cell.text.trim()), rows: data };
}

function decodeText(content: Buffer): { text: string; encoding: string } {
  if (content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf)
    return { text: content.subarray(3).toString('utf8'), encoding: 'utf-8' };
  if (content[0] === 0xff && content[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(content.subarray(2)), encoding: 'utf-16le' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(content), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(content), encoding: 'gb18030' };
  }
}

function readCsv(content: Buffer): Table {
  const { text, encoding } = decodeText(content);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      relax_column_count: true,
      info: true,
      skip_empty_lines: false,
    }) as unknown as typeof records;
  } catch (error) {
    throw invalid('IMPORT_UNREADABLE', `CSV 无法解析：${(error as Error).message}`);
  }
  return tableOf(
    'csv',
    encoding,
    records.map(({ record, info }) => ({
      line: info.lines,
      cells: record.map((text) =>
        text.length > MAX_CELL_CHARS
          ? { text: '', problem: `单元格超过 ${MAX_CELL_CHARS} 个字符` }
          : { text },
      ),
    })),
  );
}

/** Sums what the archive's entries say they inflate to, before anything is inflated. */
function checkInflatedSize(content: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(content, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(invalid('IMPORT_UNREADABLE', 'XLSX 文件已损坏（不是有效的 ZIP）'));
      let total = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        total += entry.uncompressedSize;
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (
          total > MAX_INFLATED_BYTES ||
          (entry.uncompressedSize > 1024 * 1024 && ratio > MAX_INFLATE_RATIO)
        ) {
          zip.close();
          reject(invalid('IMPORT_UNSAFE', 'XLSX 文件解压后异常巨大（疑似压缩炸弹），已拒绝'));
          return;
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', () => reject(invalid('IMPORT_UNREADABLE', 'XLSX 文件已损坏')));
      zip.readEntry();
    });
  });
}

const pad = (value: number) => String(value).padStart(2, '0');

function cellOf(value: ExcelJS.CellValue): Cell {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'boolean') return { text: value ? '是' : '否' };
  if (typeof value === 'number') {
    // Excel keeps 15 significant digits: an ID number typed as a number has lost its last ones.
    if (Math.abs(value) >= 1e15)
      return { text: String(value), problem: '数字超过 15 位已失真（请把该列设为文本后重新录入）' };
    return { text: String(value) };
  }
  if (value instanceof Date) {
    const day = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
    const time = value.getUTCHours() + value.getUTCMinutes() + value.getUTCSeconds();
    return {
      text:
        time === 0
          ? day
          : `${day}T${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}+08:00`,
    };
  }
  if ('formula' in value || 'sharedFormula' in value)
    return { text: '', problem: '单元格含公式（请复制后“粘贴为数值”再导入）' };
  if ('error' in value) return { text: '', problem: `单元格为错误值 ${String(value.error)}` };
  if ('richText' in value) return { text: value.richText.map((part) => part.text).join('') };
  if ('text' in value) return { text: String(value.text) };
  return { text: '', problem: '无法识别的单元格内容' };
}

async function readXlsx(content: Buffer): Promise<Table> {
  await checkInflatedSize(content);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(content as unknown as ArrayBuffer);
  } catch (error) {
    throw invalid('IMPORT_UNREADABLE', `XLSX 无法读取：${(error as Error).message}`);
  }
  const sheet =
    workbook.worksheets.find((candidate) => candidate.actualRowCount > 0) ?? workbook.worksheets[0];
  if (!sheet) throw invalid('IMPORT_EMPTY', 'XLSX 中没有工作表');
  const rows: TableRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const values = row.values as ExcelJS.CellValue[];
    const cells: Cell[] = [];
    for (let column = 1; column < values.length; column++) cells.push(cellOf(values[column]));
    rows.push({ line: rowNumber, cells });
  });
  return tableOf('xlsx', sheet.name, rows);
}

/** A CSV or XLSX file's rows (told apart by content, not by name). */
export async function readTable(content: Buffer): Promise<Table> {
  if (content.length === 0) throw invalid('IMPORT_EMPTY', '文件为空（0 字节）');
  if (content.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])))
    throw invalid('IMPORT_FORMAT', '不支持 .xls（Excel 97-2003）格式，请另存为 .xlsx 或 CSV 后导入');
  if (content.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) return readXlsx(content);
  if (content.subarray(0, 5).toString('latin1') === '%PDF-')
    throw invalid('IMPORT_FORMAT', '这是 PDF 文件，不是 CSV 或 XLSX');
  return readCsv(content);
}
