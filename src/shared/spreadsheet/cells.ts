// What a cell of a sheet holds, as text, and why it cannot be used when it cannot (the same readings
// exceljs gave when whole workbooks were loaded): formulas and error values are refused, a number of 15
// or more digits has lost its last ones, a number in a date format is a date.

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

export interface SheetData {
  format: 'csv' | 'xlsx';
  /** utf-8, utf-16le or gb18030 for CSV; the sheet's name for XLSX. */
  source: string;
  /** Where the first non-blank row starts (line of the file, or row of the sheet). */
  firstLine: number;
  /** Non-blank rows in order, the first one (the header) included. */
  rows: TableRow[];
}

export const isBlank = (cells: readonly Cell[]): boolean =>
  cells.every((cell) => cell.text.trim() === '' && !cell.problem);

export const FORMULA = '单元格含公式（请复制后“粘贴为数值”再导入）';
export const UNKNOWN = '无法识别的单元格内容';

export function textCell(text: string, maxChars: number): Cell {
  return text.length > maxChars ? { text: '', problem: `单元格超过 ${maxChars} 个字符` } : { text };
}

const pad = (value: number) => String(value).padStart(2, '0');

export function dateCell(value: Date): Cell {
  if (Number.isNaN(value.getTime())) return { text: '', problem: '日期无效' };
  const day = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  const time = value.getUTCHours() + value.getUTCMinutes() + value.getUTCSeconds();
  return {
    text:
      time === 0
        ? day
        : `${day}T${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}+08:00`,
  };
}

/** Excel's serial day number (1900 or 1904 system) as the instant exceljs gave for it. */
export const excelDate = (serial: number, date1904: boolean): Date =>
  new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 24 * 3600 * 1000));

export function numberCell(value: number): Cell {
  // Excel keeps 15 significant digits: an ID number typed as a number has lost its last ones.
  if (Math.abs(value) >= 1e15)
    return { text: String(value), problem: '数字超过 15 位已失真（请把该列设为文本后重新录入）' };
  return { text: String(value) };
}

/** A number format that shows a date or time (text in quotes and brackets does not count). */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]/.test(bare);
}

// Built-in formats that are dates or times: 14–22 and 45–47 everywhere, 27–36 and 50–58 in Chinese,
// Japanese and Korean Excel (for zh-CN, 31 is yyyy"年"m"月"d"日").
const BUILT_IN_DATES = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54,
  55, 56, 57, 58,
]);

export const isBuiltInDate = (id: number): boolean => BUILT_IN_DATES.has(id);

export interface CellContext {
  shared: readonly string[];
  dateStyles: readonly boolean[];
  date1904: boolean;
  maxCellChars: number;
}

/** A cell from its XML: its type (t), style (s), value text and whether it held a formula. */
export function cellOf(
  type: string | undefined,
  style: number,
  value: string | undefined,
  formula: boolean,
  context: CellContext,
): Cell | undefined {
  if (formula) return { text: '', problem: FORMULA };
  if (value === undefined) return undefined;
  switch (type) {
    case 's': {
      const text = context.shared[Number.parseInt(value, 10)];
      return text === undefined ? { text: '', problem: UNKNOWN } : textCell(text, context.maxCellChars);
    }
    case 'str':
    case 'inlineStr':
      return textCell(value, context.maxCellChars);
    case 'b':
      return { text: Number.parseInt(value, 10) !== 0 ? '是' : '否' };
    case 'e':
      return { text: '', problem: `单元格为错误值 ${value.slice(0, 20)}` };
    case 'd':
      return dateCell(new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`));
    default: {
      const number = Number.parseFloat(value);
      if (context.dateStyles[style]) return dateCell(excelDate(number, context.date1904));
      return numberCell(number);
    }
  }
}
