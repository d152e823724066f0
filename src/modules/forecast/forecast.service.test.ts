import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopedAccess, SYSTEM } from '../../../test/helpers/fixture-access.js';
import {
  FUND_PAID,
  plantedCount,
  plantEnrollment,
  plantSettlementSeries,
} from '../../../test/helpers/fund-series.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { settlementSeries } from '../fund/series.service.js';
import { builtInSeries, forecastBuiltIn } from './forecast.service.js';

// The built-in series read from the settlement records and the roster, within the caller's regions,
// and forecast from them. Every point is known: the helpers planted it.

let system: TestSystem;
const db = () => system.database.db;
const now = new Date('2025-07-10T10:00:00+08:00');
const district = (prefix: string) =>
  scopedAccess({ rows: [{ fondsCode: null, regionPrefix: prefix, categoryIds: null }], idNumber: null });

beforeAll(async () => {
  system = await openTestSystem();
  // 320115: 2023-01 … 2025-07 (31 months, the last one in progress), 2024-03 without any settlement.
  await plantSettlementSeries(db(), { region: '320115', from: '2023-01', months: 31, skip: ['2024-03'] });
  await plantSettlementSeries(db(), { region: '320211', from: '2023-01', months: 30 });
  await plantEnrollment(db(), { region: '320115', people: 60, from: '2023-01', span: 20 });
  await plantEnrollment(db(), { region: '320211', people: 9, from: '2023-01', span: 3 });
}, 120_000);
afterAll(() => system?.dispose());

describe('the monthly settlement series', () => {
  it('counts settlements and sums the fund paid per month, a month without any as 0', async () => {
    const series = await settlementSeries(db(), district('320115'), {});
    expect(series.points).toHaveLength(31);
    expect(series.points[0]).toEqual({
      period: '2023-01',
      settlements: plantedCount('320115', 0),
      fundPaid: (plantedCount('320115', 0) * FUND_PAID).toFixed(2),
      totalCost: (plantedCount('320115', 0) * 200).toFixed(2),
    });
    expect(series.points.find((p) => p.period === '2024-03')).toEqual({
      period: '2024-03',
      settlements: 0,
      fundPaid: '0',
      totalCost: '0',
    });
    expect(series.points[5]?.settlements).toBe(plantedCount('320115', 5));
  });

  it('keeps to the caller regions: another region is not found, a wider one narrowed', async () => {
    const mine = await settlementSeries(db(), district('320115'), { region: '32' });
    expect(mine.points[0]?.settlements).toBe(plantedCount('320115', 0));
    await expect(settlementSeries(db(), district('320115'), { region: '320211' })).rejects.toMatchObject({
      code: 'FORECAST_REGION',
      kind: 'not_found',
    });
    await expect(settlementSeries(db(), district('320115'), { region: '32x' })).rejects.toMatchObject({
      code: 'FORECAST_REGION',
      kind: 'invalid',
    });
    const all = await settlementSeries(db(), SYSTEM, { from: '2023-02', to: '2023-03' });
    expect(all.points.map((p) => p.settlements)).toEqual([
      plantedCount('320115', 1) + plantedCount('320211', 1),
      plantedCount('320115', 2) + plantedCount('320211', 2),
    ]);
    await expect(settlementSeries(db(), SYSTEM, { from: '2023-13' })).rejects.toMatchObject({
      code: 'FORECAST_SERIES_INVALID',
    });
  });
});

describe('the monthly enrollment series', () => {
  it('counts the enrollments in force at each month end, as a direct count does', async () => {
    const { points } = await builtInSeries(db(), district('320115'), { series: 'enrollment', now });
    expect(points[0]?.period).toBe('2023-01');
    expect(points[points.length - 1]?.period).toBe('2025-06');
    for (const point of points.filter((_, i) => i % 5 === 0)) {
      const end = new Date(`${point.period}-01T00:00:00Z`);
      end.setUTCMonth(end.getUTCMonth() + 1);
      const last = new Date(end.getTime() - 86_400_000).toISOString().slice(0, 10);
      const direct = await sql<{ n: string }>`select count(*) as n from enrollment e
        join insured_person p on p.id = e.person_id
        where p.region_code like '320115%' and e.started_on <= ${last}::date
          and (e.ended_on is null or e.ended_on > ${last}::date)`.execute(db());
      expect(point.value).toBe(Number(direct.rows[0]?.n));
    }
    expect(points[points.length - 1]?.value).toBe(40);
  });

  it('is refused for a region outside the caller scope', async () => {
    await expect(
      builtInSeries(db(), district('320115'), { series: 'enrollment', region: '3202', now }),
    ).rejects.toMatchObject({ code: 'FORECAST_REGION', kind: 'not_found' });
  });
});

describe('forecasts of the built-in series', () => {
  it('forecasts the settlements of a region from the whole months, and says the current one is left out', async () => {
    const view = await forecastBuiltIn(db(), district('320115'), {
      series: 'settlements',
      region: '320115',
      horizon: 6,
      now,
    });
    expect(view.seriesName).toBe('结算笔数');
    expect(view.points).toBe(30);
    expect(view.history[view.history.length - 1]?.period).toBe('2025-06');
    expect(view.forecast.map((p) => p.period)).toEqual([
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
    ]);
    expect(view.tried).toBe('mstl_ets');
    expect(view.notes[0]).toBe('本月尚未结束，本月数据不计入序列。');
    expect(view.backtest.baselines.map((b) => b.method)).toEqual(['seasonal_naive', 'naive']);
  });

  it('forecasts fund expenditure in 元 and the enrollment of a region', async () => {
    const paid = await forecastBuiltIn(db(), SYSTEM, { series: 'fund_paid', horizon: 3, now });
    expect(paid.unit).toBe('元');
    expect(paid.history[0]?.value).toBeCloseTo(
      (plantedCount('320115', 0) + plantedCount('320211', 0)) * FUND_PAID,
      2,
    );
    const enrolled = await forecastBuiltIn(db(), district('320211'), {
      series: 'enrollment',
      horizon: 3,
      now,
    });
    expect(enrolled.points).toBe(30);
    expect(enrolled.history[enrolled.history.length - 1]?.value).toBe(6);
  });

  it('refuses an unknown series and a region without data', async () => {
    await expect(forecastBuiltIn(db(), SYSTEM, { series: 'nothing', horizon: 3, now })).rejects.toMatchObject(
      {
        code: 'FORECAST_SERIES_UNKNOWN',
      },
    );
    await expect(
      forecastBuiltIn(db(), SYSTEM, { series: 'settlements', region: '110101', horizon: 3, now }),
    ).rejects.toMatchObject({ code: 'FORECAST_TOO_SHORT' });
  });
});
