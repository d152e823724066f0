// exceljs is loaded when a workbook is made: importing it costs every process (each CLI command) ~0.5 s.
import type ExcelJS from 'exceljs';
import { beijingTime } from '../../shared/beijing-time.js';
import type { UseEntry } from './use.service.js';
import type { UseStats } from './use.stats.js';

// 利用统计 as a workbook: the counts (with a 合计 row) and the register rows they count, as the reader
// may see them. Rendered on a CPU pool thread (use.xlsx.task.ts): exceljs works in JavaScript.

export interface UseWorkbook {
  stats: UseStats;
  dimensionName: string;
  periodName: string;
  uses: UseEntry[];
  /** Register rows left out beyond the sheet's limit (0: all are there). */
  omitted: number;
  madeBy: string;
  madeAt: string;
}

const THIN: Partial<ExcelJS.Border> = { style: 'thin', color: { argb: 'FF808080' } };
const BOX: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN };
const SHADE: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE6E6E6' } };

function table(sheet: ExcelJS.Worksheet, headers: string[], widths: number[]): void {
  const row = sheet.addRow(headers);
  row.eachCell((cell) => {
    cell.font = { bold: true };
    cell.fill = SHADE;
    cell.border = BOX;
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  });
  widths.forEach((width, index) => {
    sheet.getColumn(index + 1).width = width;
  });
}

export async function renderUseXlsx(book: UseWorkbook): Promise<Uint8Array> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  workbook.creator = 'Yidang';
  const { stats } = book;
  const summary = workbook.addWorksheet('利用统计', { views: [{ state: 'frozen', ySplit: 3 }] });
  const title = summary.addRow([`档案利用统计（按${book.periodName}、${book.dimensionName}）`]);
  title.getCell(1).font = { size: 14, bold: true };
  summary.mergeCells(1, 1, 1, 5);
  summary.addRow([
    `统计范围：${stats.from ?? '最早'} 至 ${stats.to ?? '今'}（北京时间）  制表时间：${beijingTime(book.madeAt)}  制表人：${book.madeBy}`,
  ]);
  summary.mergeCells(2, 1, 2, 5);
  table(
    summary,
    ['统计期间', book.dimensionName, '利用次数', '利用档案件数', '已记录利用效果'],
    [16, 28, 12, 14, 16],
  );
  for (const row of stats.rows) {
    const added = summary.addRow([row.periodName, row.label, row.uses, row.items, row.effects]);
    added.eachCell((cell) => {
      cell.border = BOX;
    });
  }
  const total = summary.addRow(['合计', '', stats.total.uses, null, stats.total.effects]);
  total.eachCell((cell) => {
    cell.font = { bold: true };
    cell.border = BOX;
  });

  const register = workbook.addWorksheet('利用登记簿', { views: [{ state: 'frozen', ySplit: 1 }] });
  table(
    register,
    [
      '序号',
      '利用时间',
      '利用方式',
      '利用者',
      '利用部门',
      '档号',
      '题名',
      '类别',
      '目的',
      '借阅单号',
      '利用效果',
      '效果说明',
    ],
    [6, 20, 10, 20, 20, 28, 40, 14, 24, 16, 10, 24],
  );
  book.uses.forEach((use, index) => {
    const row = register.addRow([
      index + 1,
      beijingTime(use.usedAt),
      use.kindName,
      use.who,
      use.department,
      use.archiveCode ?? use.detail ?? '',
      use.title ?? '',
      use.categoryName ?? '',
      use.purpose ?? '',
      use.loanNumber ?? '',
      use.effectName ?? '',
      use.effectNote ?? '',
    ]);
    row.eachCell((cell) => {
      cell.border = BOX;
    });
  });
  if (book.omitted > 0) register.addRow([`另有 ${book.omitted} 条未列出，请缩小统计范围后导出`]);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}
