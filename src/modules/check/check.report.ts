// exceljs is loaded when a workbook is made: importing it costs every process (each CLI command) ~0.5 s.
import { beijingDateTime } from '../../shared/beijing-time.js';
import type { CheckResultRow, CheckRunRow } from './check.repo.js';
import { CHECKS, PROPERTIES, type Property } from './check.rules.js';
import type { CheckStatus, CheckTargetKind, CheckTrigger } from './check.tables.js';
import { CHECK_STATUS_NAMES } from './check-names.js';

// The four-property check report (四性检测报告): one entry per item with every check's result, as
// JSON for the API and the CLI, and as an XLSX workbook for the transfer file: a summary sheet, one
// row per item and check, and the failures alone.

export const STATUS_LABELS: Readonly<Record<CheckStatus, string>> = CHECK_STATUS_NAMES;
export const TRIGGER_LABELS: Record<CheckTrigger, string> = {
  on_demand: '按需检测',
  ingest: '归档时检测',
  transfer: '移交时检测',
};
export const TARGET_LABELS: Record<CheckTargetKind, string> = {
  item: '单件',
  batch: '数字化批次',
  fonds_year: '全宗年度',
};

export interface CheckResult {
  id: string;
  name: string;
  property: Property;
  propertyName: string;
  status: CheckStatus;
  detail: string;
}

export interface CheckReport {
  id: number;
  trigger: CheckTrigger;
  target: { kind: CheckTargetKind; value: string };
  runBy: string;
  startedAt: string;
  finishedAt: string;
  summary: {
    items: number;
    passedItems: number;
    failedItems: number;
    passed: number;
    failed: number;
    skipped: number;
  };
  items: Array<{ archiveCode: string; outcome: 'pass' | 'fail'; checks: CheckResult[] }>;
}

export interface ItemResults {
  archiveCode: string;
  results: readonly CheckResultRow[];
}

/** One line for a filing command: the run's outcome and where its report is kept. */
export function checkSummary(report: CheckReport): string {
  const failed = report.items.flatMap((item) => item.checks.filter((check) => check.status === 'fail'));
  return failed.length === 0
    ? `四性检测：通过（${report.summary.skipped > 0 ? `${report.summary.skipped} 项未检测，` : ''}报告 yidang check --run ${report.id}）`
    : `四性检测：${failed.length} 项不通过：${failed.map((check) => check.name).join('、')}（报告 yidang check --run ${report.id}）`;
}

/** The report of a run over the items shown (a caller sees only the items in their scope). */
export function toReport(run: CheckRunRow, items: readonly ItemResults[]): CheckReport {
  const entries = items.map((item) => {
    const checks = CHECKS.flatMap((check) => {
      const row = item.results.find((result) => result.checkId === check.id);
      if (!row) return [];
      const { property } = check as { property: Property };
      return [
        {
          id: check.id,
          name: check.name,
          property,
          propertyName: PROPERTIES[property],
          status: row.status,
          detail: row.detail,
        },
      ];
    });
    const outcome: 'pass' | 'fail' = checks.some((check) => check.status === 'fail') ? 'fail' : 'pass';
    return { archiveCode: item.archiveCode, outcome, checks };
  });
  const all = entries.flatMap((entry) => entry.checks);
  const count = (status: CheckStatus) => all.filter((check) => check.status === status).length;
  return {
    id: run.id,
    trigger: run.trigger,
    target: { kind: run.targetKind, value: run.target },
    runBy: run.runBy,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    summary: {
      items: entries.length,
      passedItems: entries.filter((entry) => entry.outcome === 'pass').length,
      failedItems: entries.filter((entry) => entry.outcome === 'fail').length,
      passed: count('pass'),
      failed: count('fail'),
      skipped: count('skipped'),
    },
    items: entries,
  };
}

/** A Chinese one-line verdict, for the CLI and the summary sheet. */
export function verdict(report: CheckReport): string {
  const { summary } = report;
  return summary.failedItems === 0
    ? `全部 ${summary.items} 件通过四性检测${summary.skipped > 0 ? `（${summary.skipped} 项未检测）` : ''}`
    : `${summary.items} 件中 ${summary.failedItems} 件未通过四性检测（不通过 ${summary.failed} 项，未检测 ${summary.skipped} 项）`;
}

export async function checkReportWorkbook(report: CheckReport, madeAt = new Date()): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '医档 Yidang';
  const summary = workbook.addWorksheet('汇总');
  summary.columns = [
    { header: '项目', key: 'label', width: 20 },
    { header: '内容', key: 'value', width: 60 },
  ];
  summary.addRows([
    { label: '检测编号', value: report.id },
    { label: '检测方式', value: TRIGGER_LABELS[report.trigger] },
    { label: '检测范围', value: `${TARGET_LABELS[report.target.kind]} ${report.target.value}` },
    { label: '检测人', value: report.runBy },
    { label: '开始时间', value: beijingDateTime(report.startedAt) },
    { label: '完成时间', value: beijingDateTime(report.finishedAt) },
    { label: '档案件数', value: report.summary.items },
    { label: '通过件数', value: report.summary.passedItems },
    { label: '未通过件数', value: report.summary.failedItems },
    { label: '结论', value: verdict(report) },
    { label: '依据', value: 'DA/T 70-2018 文书类电子档案检测一般要求（真实性、完整性、可用性、安全性）' },
    { label: '报告生成时间', value: beijingDateTime(madeAt) },
  ]);
  const columns = [
    { header: '档号', key: 'code', width: 32 },
    { header: '检测性质', key: 'property', width: 10 },
    { header: '检测项', key: 'check', width: 22 },
    { header: '结果', key: 'status', width: 10 },
    { header: '说明', key: 'detail', width: 90 },
  ];
  const detail = workbook.addWorksheet('逐项结果');
  const failures = workbook.addWorksheet('不通过项');
  for (const sheet of [detail, failures]) {
    sheet.columns = columns;
    sheet.views = [{ state: 'frozen', ySplit: 1 }];
  }
  for (const item of report.items)
    for (const check of item.checks) {
      const row = {
        code: item.archiveCode,
        property: check.propertyName,
        check: check.name,
        status: STATUS_LABELS[check.status],
        detail: check.detail,
      };
      detail.addRow(row);
      if (check.status === 'fail') failures.addRow(row);
    }
  for (const sheet of [summary, detail, failures]) sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
