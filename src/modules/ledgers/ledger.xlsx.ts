// exceljs is loaded when a workbook is made: importing it costs every process (each CLI command) ~0.5 s.
import type ExcelJS from 'exceljs';
import { beijingTime } from '../../shared/beijing-time.js';
import type { LedgerCellValue, LedgerColumn, LedgerDocument, LedgerSection } from './ledger.document.js';

// The ledger as a workbook: a 封面 sheet, then one sheet per table with its heading, frozen and
// printed column headers, typed cells (money and counts as numbers, ID numbers and dates as text)
// and 制表时间, 制表人 and page numbers in every printed page's header and footer.

const COVER_SHEET = '封面';
const MAX_SHEET_NAME = 31;
const THIN: Partial<ExcelJS.Border> = { style: 'thin', color: { argb: 'FF808080' } };
const BOX: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN };
const SHADE: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE6E6E6' } };
const A4 = 9;
/** Rows sampled for a column's width: enough to see typical values without walking 50,000 rows. */
const WIDTH_SAMPLE = 500;

/**
 * A sheet name Excel accepts: none of []:*?/\ (replaced by _), no leading or trailing apostrophe,
 * at most 31 characters, and unique among the workbook's names regardless of case.
 */
export function sheetName(title: string, taken: Set<string>): string {
  const cleaned =
    title
      .replace(/[[\]:*?/\\]/g, '_')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
      .replace(/[\u0000-\u001f]/g, '')
      .trim()
      .replace(/^'+|'+$/g, '') || '表';
  const clip = (name: string, room: number) => {
    let chars = Array.from(name);
    // Counted in UTF-16 units, as Excel does, without splitting a surrogate pair.
    while (chars.join('').length > room) chars = chars.slice(0, -1);
    return chars.join('').trimEnd();
  };
  let name = clip(cleaned, MAX_SHEET_NAME);
  for (let copy = 2; taken.has(name.toLowerCase()) || name.toLowerCase() === 'history'; copy++) {
    const suffix = `(${copy})`;
    name = `${clip(cleaned, MAX_SHEET_NAME - suffix.length)}${suffix}`;
  }
  taken.add(name.toLowerCase());
  return name;
}

const numeric = (value: string | number): number | undefined => {
  const number =
    typeof value === 'number' ? value : /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
};

/** Money and counts as numbers (when they are numbers); everything else as text, so IDs stay whole. */
export function xlsxValue(
  value: LedgerCellValue | undefined,
  kind: LedgerColumn['kind'],
): string | number | null {
  if (value === null || value === undefined) return null;
  if (kind === 'money' || kind === 'count') {
    const number = numeric(value);
    if (number === undefined) return String(value);
    return kind === 'money' ? Math.round(number * 100) / 100 : Math.round(number);
  }
  return String(value);
}

/** Width as Excel counts it: a CJK character takes about two digits. */
const displayWidth = (text: string) => {
  let width = 0;
  for (const char of text) width += char.charCodeAt(0) >= 0x2e80 ? 2 : 1.1;
  return width;
};

// signDisplay 'negative': a total that rounds to zero prints 0.00, never -0.00.
const MONEY = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'negative',
});

/**
 * A value as printed (the PDF's cells, the workbook's column widths): money with two decimals and
 * thousands separators, counts as integers, anything else as given.
 */
export function cellText(value: LedgerCellValue | undefined, kind: LedgerColumn['kind']): string {
  const cell = xlsxValue(value, kind);
  if (typeof cell !== 'number') return cell ?? '';
  return kind === 'money' ? MONEY.format(cell) : String(cell);
}

function columnWidth(section: LedgerSection, column: LedgerColumn): number {
  let widest = Math.max(displayWidth(column.header), column.width);
  const sample = section.rows.slice(0, WIDTH_SAMPLE);
  if (section.totals) sample.push(section.totals);
  for (const row of sample) widest = Math.max(widest, displayWidth(cellText(row[column.key], column.kind)));
  return Math.min(Math.max(Math.ceil(widest) + 2, 6), 60);
}

/** Header and footer codes: & starts a code, so a literal one is doubled. */
const hf = (text: string, max = 60) => Array.from(text).slice(0, max).join('').replace(/&/g, '&&');

function printSetup(
  sheet: ExcelJS.Worksheet,
  doc: LedgerDocument,
  heading: string,
  landscape: boolean,
): void {
  sheet.pageSetup = {
    ...sheet.pageSetup,
    paperSize: A4,
    orientation: landscape ? 'landscape' : 'portrait',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    horizontalCentered: true,
    margins: { left: 0.5, right: 0.5, top: 0.75, bottom: 0.75, header: 0.3, footer: 0.3 },
  };
  sheet.headerFooter = {
    oddHeader: `&L${hf(doc.title)}${doc.mark ? `&C【${hf(doc.mark)}】` : ''}&R${hf(heading)}`,
    oddFooter: `&L制表时间：${beijingTime(doc.madeAt)}&C第 &P 页 / 共 &N 页&R制表人：${hf(doc.madeBy, 40)}`,
  };
}

function addCover(workbook: ExcelJS.Workbook, doc: LedgerDocument): void {
  const sheet = workbook.addWorksheet(COVER_SHEET);
  printSetup(sheet, doc, COVER_SHEET, false);
  sheet.getColumn(1).width = 24;
  sheet.getColumn(2).width = 60;
  const banner = (text: string, size: number, bold: boolean) => {
    const row = sheet.addRow([text]);
    sheet.mergeCells(row.number, 1, row.number, 2);
    row.height = size * 2;
    const cell = row.getCell(1);
    cell.font = { size, bold };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  };
  banner(doc.title, 18, true);
  if (doc.mark) banner(`（${doc.mark}）`, 14, true);
  banner(doc.period, 12, false);
  sheet.addRow([]);
  const pairs = [
    { label: '编制单位', value: doc.agency },
    ...doc.cover,
    { label: '制表时间', value: beijingTime(doc.madeAt) },
    { label: '制表人', value: doc.madeBy },
  ];
  for (const pair of pairs) {
    const row = sheet.addRow([pair.label, String(pair.value)]);
    row.eachCell((cell) => {
      cell.border = BOX;
      cell.alignment = { vertical: 'middle', wrapText: true };
    });
    row.getCell(1).font = { bold: true };
    row.getCell(1).fill = SHADE;
  }
}

function addSection(workbook: ExcelJS.Workbook, doc: LedgerDocument, section: LedgerSection, name: string) {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2 }] });
  printSetup(sheet, doc, section.title, true);
  sheet.pageSetup.printTitlesRow = '2:2';
  const count = Math.max(section.columns.length, 1);
  // One style object per column, shared by all its data cells: exceljs recognises a style it has seen
  // by identity, where 50,000 rows of per-cell copies took seconds to serialise and compare.
  const styles = section.columns.map((column): Partial<ExcelJS.Style> => {
    const figure = column.kind === 'money' || column.kind === 'count';
    return {
      border: BOX,
      numFmt: column.kind === 'money' ? '#,##0.00' : column.kind === 'count' ? '0' : '@',
      alignment: figure
        ? { vertical: 'top', horizontal: 'right' }
        : { vertical: 'top', wrapText: column.kind !== 'date' },
    };
  });
  section.columns.forEach((column, index) => {
    sheet.getColumn(index + 1).width = columnWidth(section, column);
  });

  const title = sheet.addRow([doc.mark ? `${section.title}（${doc.mark}）` : section.title]);
  if (count > 1) sheet.mergeCells(1, 1, 1, count);
  title.height = 24;
  title.getCell(1).font = { size: 14, bold: true };
  title.getCell(1).alignment = { horizontal: 'center', vertical: 'middle' };

  const header = sheet.addRow(section.columns.map((column) => column.header));
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.border = BOX;
    cell.fill = SHADE;
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  });

  const values = (row: Record<string, LedgerCellValue>) =>
    section.columns.map((column) => xlsxValue(row[column.key], column.kind));
  const addRow = (row: Record<string, LedgerCellValue>, emphasis?: Partial<ExcelJS.Style>) => {
    const added = sheet.addRow(values(row));
    styles.forEach((style, index) => {
      added.getCell(index + 1).style = emphasis ? { ...style, ...emphasis } : style;
    });
  };
  for (const row of section.rows) addRow(row);
  if (section.rows.length === 0) {
    const empty = sheet.addRow(['无记录']);
    if (count > 1) sheet.mergeCells(empty.number, 1, empty.number, count);
    empty.getCell(1).alignment = { horizontal: 'center', vertical: 'middle' };
  }
  if (section.totals) addRow(section.totals, { font: { bold: true }, fill: SHADE });
}

export async function renderLedgerXlsx(doc: LedgerDocument): Promise<Buffer> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.creator = '医档 Yidang';
  workbook.title = doc.title;
  workbook.created = doc.madeAt;
  addCover(workbook, doc);
  const taken = new Set([COVER_SHEET.toLowerCase()]);
  for (const section of doc.sections) addSection(workbook, doc, section, sheetName(section.title, taken));
  // Fastest deflate: at the default level, zipping 50,000 rows took longer than building them.
  const zip = { compression: 'DEFLATE' as const, compressionOptions: { level: 1 } };
  return Buffer.from(await workbook.xlsx.writeBuffer({ zip }));
}
