import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importReport } from './import.report.js';

// The import report people take back gives its time as the Beijing wall clock, never UTC with a Z.

async function summaryOf(buffer: Buffer): Promise<Map<string, string>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('汇总');
  const values = new Map<string, string>();
  sheet?.eachRow((row) => values.set(String(row.getCell(1).value), String(row.getCell(2).value)));
  return values;
}

const NO_Z = /\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z/;

describe('import report workbook', () => {
  it('write when an import report was made in Beijing time', async () => {
    const buffer = await importReport(
      {
        jobId: 1,
        fileName: '报销.csv',
        format: 'csv',
        source: 'UTF-8',
        allOrNothing: false,
        resumed: false,
        total: 0,
        filed: 0,
        rejected: 0,
        skipped: 0,
        lines: [],
      },
      new Date('2026-12-07T16:00:00Z'),
    );
    const summary = await summaryOf(buffer);
    expect(summary.get('生成时间')).toBe('2026-12-08 00:00:00');
    expect([...summary.values()].join('\n')).not.toMatch(NO_Z);
  });
});
