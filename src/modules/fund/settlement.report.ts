// exceljs is loaded when a workbook is made: importing it costs every process (each CLI command) ~0.5 s.
import { beijingDateTime } from '../../shared/beijing-time.js';
import { fieldLabel, REFUSAL_LABELS, type RefusalCode, type RowRefusal } from './settlement.fields.js';

// The import report taken back to whoever made the extract: a summary, then one row per refused row
// with its 结算流水号, the column and the reason in Chinese.

export interface ReportInput {
  importId: number;
  fileName: string;
  source: string;
  rows: number;
  settlements: number;
  imported: number;
  skipped: number;
  refused: number;
  refusedRows: RowRefusal[];
  truncated: boolean;
}

export async function settlementImportReport(input: ReportInput, madeAt = new Date()): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '医档 Yidang';
  const summary = workbook.addWorksheet('汇总');
  summary.columns = [
    { header: '项目', key: 'label', width: 24 },
    { header: '内容', key: 'value', width: 48 },
  ];
  summary.addRows([
    { label: '导入批次', value: input.importId },
    { label: '文件', value: input.fileName },
    { label: '编码/工作表', value: input.source },
    { label: '数据行数', value: input.rows },
    { label: '结算数', value: input.settlements },
    { label: '已导入', value: input.imported },
    { label: '已跳过（此前已导入）', value: input.skipped },
    { label: '未导入的结算', value: input.refused },
    { label: '生成时间', value: beijingDateTime(madeAt) },
  ]);
  if (input.truncated) summary.addRow({ label: '说明', value: '未通过的行过多，报告只列出前 20000 行' });
  const detail = workbook.addWorksheet('未通过的行');
  detail.columns = [
    { header: '行号', key: 'row', width: 8 },
    { header: '结算流水号', key: 'serial', width: 28 },
    { header: '列', key: 'field', width: 16 },
    { header: '原因类别', key: 'kind', width: 22 },
    { header: '原因', key: 'message', width: 70 },
  ];
  detail.views = [{ state: 'frozen', ySplit: 1 }];
  for (const row of input.refusedRows)
    detail.addRow({
      row: row.row,
      serial: row.serial,
      field: row.field ? fieldLabel(row.field) : '',
      kind: REFUSAL_LABELS[row.code as RefusalCode] ?? row.code,
      message: row.message,
    });
  for (const sheet of [summary, detail]) sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
