import { invalid } from '../errors.js';
import type { SheetData } from './cells.js';
import { readCsv } from './csv.js';
import { type ReadStats, type SpreadsheetLimits, sizeText, tooLarge } from './limits.js';
import { readXlsx } from './xlsx.js';

// A CSV or XLSX file's non-blank rows, told apart by content, not by name; the old binary .xls and
// other files are refused with what they are. Runs on whichever thread calls it (see spreadsheet.ts).

const ZIP = Buffer.from('PK\u0003\u0004', 'latin1');
const COMPOUND = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

export async function readRows(
  content: Buffer,
  limits: SpreadsheetLimits,
  stats: ReadStats,
): Promise<SheetData> {
  if (content.length === 0) throw invalid('IMPORT_EMPTY', '文件为空（0 字节）');
  if (content.length > limits.maxFileBytes)
    throw tooLarge(`文件超过 ${sizeText(limits.maxFileBytes)}（上限），请拆分后导入`);
  const head = content.subarray(0, 5);
  if (head.subarray(0, 4).equals(COMPOUND))
    throw invalid('IMPORT_FORMAT', '不支持 .xls（Excel 97-2003）格式，请另存为 .xlsx 或 CSV 后导入');
  if (head.subarray(0, 4).equals(ZIP)) return readXlsx(content, limits, stats);
  if (head.toString('latin1') === '%PDF-') throw invalid('IMPORT_FORMAT', '这是 PDF 文件，不是 CSV 或 XLSX');
  return readCsv(content, limits, stats);
}
