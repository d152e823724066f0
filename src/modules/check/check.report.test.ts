import { describe, expect, it } from 'vitest';
import { summaryOf, UTC_TIME } from '../../../test/helpers/workbook-times.js';
import { type CheckReport, checkReportWorkbook } from './check.report.js';

// The 四性检测 report people take away gives its times as the Beijing wall clock, never UTC with a Z.

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
    expect([...summary.values()].join('\n')).not.toMatch(UTC_TIME);
  });
});
