import { invalid } from '../../shared/errors.js';
import {
  type Cell,
  DEFAULT_LIMITS,
  type ReadOptions,
  readSpreadsheet,
  type TableRow,
} from '../../shared/spreadsheet/spreadsheet.js';

// Reads a CSV or XLSX file into rows of cell texts, refusing what cannot be read safely. The reading
// itself (bounds counted while inflating and parsing, a worker thread for large files, GBK detection)
// is the shared spreadsheet reader's; here the first non-blank row becomes the header.

export type { Cell, TableRow };
export const MAX_IMPORT_ROWS = DEFAULT_LIMITS.maxRows;

export interface Table {
  format: 'csv' | 'xlsx';
  /** utf-8, utf-16le or gb18030 for CSV; the sheet's name for XLSX. */
  source: string;
  /** Where the header row starts: line of the file (CSV) or row of the sheet (XLSX). */
  headerLine: number;
  headers: string[];
  rows: TableRow[];
}

/** A CSV or XLSX file's rows (told apart by content, not by name). */
export async function readTable(content: Buffer, options: ReadOptions = {}): Promise<Table> {
  const sheet = await readSpreadsheet(content, options);
  const [header, ...rows] = sheet.rows;
  if (!header)
    throw invalid('IMPORT_EMPTY', sheet.format === 'csv' ? '文件中没有数据' : `工作表“${sheet.source}”为空`);
  const maxRows = options.limits?.maxRows ?? MAX_IMPORT_ROWS;
  // The reader stops as soon as the bound is passed; this only guards its contract.
  if (rows.length > maxRows)
    throw invalid('IMPORT_TOO_LARGE', `一次最多导入 ${maxRows} 行，文件超过 ${maxRows} 行，请拆分`);
  return {
    format: sheet.format,
    source: sheet.source,
    headerLine: sheet.firstLine,
    headers: header.cells.map((cell: Cell) => cell.text.trim()),
    rows,
  };
}
