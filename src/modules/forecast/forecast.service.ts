import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { regionsWithin, settlementSeries } from '../fund/series.service.js';
import { rosterRegions } from '../ledgers/ledger.reach.js';
import { rosterEnrollmentSeries } from '../ledgers/roster.queries.js';
import { readSeriesCsv } from './forecast.csv.js';
import { runCpuTask } from '../../shared/cpu-pool/cpu-pool.js';
import { checkHorizon, checkSeries, type ForecastReport, type SeriesPoint } from './forecast.engine.js';
import { addMonths } from './forecast.months.js';
import { FORECAST_TASK } from './forecast.task.js';

// 趋势预测: forecasts of the built-in monthly series (enrollment from the roster, settlements and fund
// expenditure from the settlement records) within the caller's regions, and of any series given as
// (period, value) pairs or a CSV. Nothing is written: a forecast is computed on request.

export const BUILT_IN_SERIES = {
  enrollment: { name: '参保人数（月末在保）', unit: '人' },
  settlements: { name: '结算笔数', unit: '笔' },
  fund_paid: { name: '基金支出', unit: '元' },
} as const;
export type BuiltInSeries = keyof typeof BUILT_IN_SERIES;

export interface ForecastView extends ForecastReport {
  /** A built-in series' code, or null for a series given by the caller. */
  series: BuiltInSeries | null;
  seriesName: string;
  unit: string | null;
  region: string | null;
}

export function builtInSeriesOf(code: string | undefined): BuiltInSeries {
  const key = (code ?? '').trim();
  if (!Object.hasOwn(BUILT_IN_SERIES, key))
    throw invalid(
      'FORECAST_SERIES_UNKNOWN',
      `没有内置序列“${key.slice(0, 20)}”；可用：${Object.entries(BUILT_IN_SERIES)
        .map(([code, { name }]) => `${code}（${name}）`)
        .join('、')}`,
    );
  return key as BuiltInSeries;
}

/** The month in progress (Beijing time): not yet whole, so it is left out of the series forecast. */
const currentMonth = (now: Date) => (beijingDate(now) as string).slice(0, 7);

/** The built-in series as consecutive months up to the last whole one, within the caller's regions. */
export async function builtInSeries(
  db: Db,
  access: AccessContext,
  query: { series: string | undefined; region?: string; now?: Date },
): Promise<{ series: BuiltInSeries; region: string | null; points: SeriesPoint[]; cut: boolean }> {
  const series = builtInSeriesOf(query.series);
  const region = query.region?.trim() || null;
  const thisMonth = currentMonth(query.now ?? new Date());
  if (series === 'enrollment') {
    const regions = regionsWithin(await rosterRegions(db, access), region);
    const months = await rosterEnrollmentSeries(db, { regions, through: addMonths(thisMonth, -1) });
    return {
      series,
      region,
      points: months.map((m) => ({ period: m.period, value: m.enrolled })),
      cut: false,
    };
  }
  const found = await settlementSeries(db, access, { ...(region ? { region } : {}) });
  const whole = found.points.filter((point) => point.period < thisMonth);
  return {
    series,
    region,
    points: whole.map((point) => ({
      period: point.period,
      value: series === 'settlements' ? point.settlements : Number(point.fundPaid),
    })),
    cut: whole.length < found.points.length,
  };
}

export async function forecastBuiltIn(
  db: Db,
  access: AccessContext,
  query: { series: string | undefined; region?: string; horizon: number; now?: Date },
): Promise<ForecastView> {
  checkHorizon(query.horizon);
  const found = await builtInSeries(db, access, query);
  const { name, unit } = BUILT_IN_SERIES[found.series];
  if (found.points.length === 0)
    throw invalid('FORECAST_TOO_SHORT', `${found.region ?? '您范围内'}的“${name}”还没有数据，无法预测`);
  const report = await forecastOnThread(found.points, query.horizon);
  if (found.cut) report.notes.unshift('本月尚未结束，本月数据不计入序列。');
  return { series: found.series, seriesName: name, unit, region: found.region, ...report };
}

/** The series checked here (a refusal needs no thread), then forecast on the CPU pool. */
async function forecastOnThread(points: SeriesPoint[], horizon: number): Promise<ForecastReport> {
  checkSeries(points);
  return runCpuTask(FORECAST_TASK, { points, horizon });
}

/** A series the caller gives: pairs, or the bytes of a CSV (UTF-8 or GBK). */
export async function forecastGiven(given: {
  points?: SeriesPoint[];
  csv?: Buffer;
  horizon: number;
  name?: string;
}): Promise<ForecastView> {
  checkHorizon(given.horizon);
  const points = given.csv ? await readSeriesCsv(given.csv) : (given.points ?? []);
  return {
    series: null,
    seriesName: given.name?.trim().slice(0, 100) || '上传的序列',
    unit: null,
    region: null,
    ...(await forecastOnThread(points, given.horizon)),
  };
}
