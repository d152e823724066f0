// exceljs is loaded when a workbook is made: importing it costs every process (each CLI command) ~0.5 s.
import { beijingDateTime } from '../../shared/beijing-time.js';
import { FIELD_HEADERS } from './import.mapping.js';
import type { ImportResult, LineStatus } from './import.service.js';

// The import report the user takes back to whoever made the file: a summary, then one row per
// problem (or per filed line) with the line, the field and the reason in Chinese.

const STATUS: Record<LineStatus, string> = {
  filed: '已归档',
  rejected: '未通过',
  skipped: '已跳过（此前已导入）',
  withheld: '未归档（整批撤回）',
};

export const statusLabel = (status: LineStatus) => STATUS[status];

/** 身份证号 for idNumber, the name after extra. for a category's field; as given otherwise. */
export const fieldLabel = (field: string) =>
  FIELD_HEADERS[field]?.[0] ?? (field.startsWith('extra.') ? field.slice('extra.'.length) : field);

export async function importReport(result: ImportResult, madeAt = new Date()): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '医档 Yidang';
  const summary = workbook.addWorksheet('汇总');
  summary.columns = [
    { header: '项目', key: 'label', width: 24 },
    { header: '内容', key: 'value', width: 48 },
  ];
  summary.addRows([
    { label: '文件', value: result.fileName },
    { label: '格式', value: `${result.format.toUpperCase()}（${result.source}）` },
    { label: '方式', value: result.allOrNothing ? '全部成功才归档' : '逐批归档' },
    { label: '数据行数', value: result.total },
    { label: '已归档', value: result.filed },
    { label: '未通过', value: result.rejected },
    { label: '已跳过（此前已导入）', value: result.skipped },
    { label: '生成时间', value: beijingDateTime(madeAt) },
  ]);
  const detail = workbook.addWorksheet('逐行结果');
  detail.columns = [
    { header: '行号', key: 'line', width: 8 },
    { header: '结果', key: 'status', width: 20 },
    { header: '档号', key: 'code', width: 32 },
    { header: '字段', key: 'field', width: 16 },
    { header: '原因', key: 'reason', width: 60 },
  ];
  detail.views = [{ state: 'frozen', ySplit: 1 }];
  for (const line of result.lines) {
    const base = { line: line.line, status: STATUS[line.status], code: line.archiveCode ?? '' };
    if (line.issues.length === 0) detail.addRow({ ...base, field: '', reason: '' });
    for (const issue of line.issues)
      detail.addRow({ ...base, field: fieldLabel(issue.field), reason: issue.message });
  }
  for (const sheet of [summary, detail]) sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
