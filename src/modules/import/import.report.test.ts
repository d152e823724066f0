import { describe, expect, it } from 'vitest';
import { summaryOf, UTC_TIME } from '../../../test/helpers/workbook-times.js';
import { importReport } from './import.report.js';

// The import report people take back gives its time as the Beijing wall clock, never UTC with a Z.

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
    expect([...summary.values()].join('\n')).not.toMatch(UTC_TIME);
  });
});
