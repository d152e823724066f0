import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { type CheckReport, checkReportWorkbook } from './check.report.js';

// The 四性检测 report people take away gives its times as the Beijing wall clock, never UTC with a Z.

async function summaryOf(buffer: Buffer): Promise<Map<string, string>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('汇总');
  const values = new Map<string, string>();
  sheet?.eachRow((row) => values.set(String(row.getCell(1).value), String(row.getCell(2).value)));
  return values;
}

const NO_Z = /\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z/;

describe('check report workbook', () => {
  it('write the check run and the report in Beijing time, across midnight and the year', async () => {
    const report: CheckReport = {
      id: 7,
      trigger: 'on_demand',
      target: { kind: 'item', value: 'J013-TEST-0001' },
      runBy: '档案员张',
      startedAt: '2026-12-31T15:59:58.500Z',
      finishedAt: '2026-12-31T16:00:01.000Z',
      summary: { items: 0, passedItems: 0, failedItems: 0, passed: 0, failed: 0, skipped: 0 },
      items: [],
    };
    const summary = await summaryOf(await checkReportWorkbook(report, new Date('2026-12-07T03:33:05Z')));
    expect(summary.get('开始时间')).toBe('2026-12-31 23:59:58');
    expect(summary.get('完成时间')).toBe('2027-01-01 00:00:01');
    expect(summary.get('报告生成时间')).toBe('2026-12-07 11:33:05');
    expect([...summary.values()].join('\n')).not.toMatch(NO_Z);
  });
});
