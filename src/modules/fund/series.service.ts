import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { settlementMonths } from './series.repo.js';
import { type FundRegions, fundRegions } from './settlement.scope.js';

// 基金月度序列: per month, the settlements settled and the fund paid (and total cost) within a region
// the caller reaches — what the forecasts of settlements and fund expenditure read. Months between the
// first and last month with a settlement that have none count 0, so the series is consecutive.

export interface SettlementSeriesPoint {
  period: string;
  settlements: number;
  /** 元, as exact decimal text. */
  fundPaid: string;
  totalCost: string;
}

export interface SettlementSeries {
  /** The region prefix asked for; null: every region the caller reaches. */
  region: string | null;
  points: SettlementSeriesPoint[];
}

const REGION = /^(\d{2}|\d{4}|\d{6})$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * The prefixes to read: the caller's regions narrowed to `region`. A region outside them is not found,
 * exactly like one without data would be told apart from nothing else.
 */
export function regionsWithin(reach: readonly string[] | null, region: string | null): FundRegions {
  if (region === null) return reach === null ? null : [...reach];
  if (!REGION.test(region))
    throw invalid(
      'FORECAST_REGION',
      `统筹区应为 2、4 或 6 位行政区划代码（如 3201），而不是“${region.slice(0, 12)}”`,
    );
  if (reach === null) return [region];
  const narrowed = reach.flatMap((prefix) =>
    prefix.startsWith(region) ? [prefix] : region.startsWith(prefix) ? [region] : [],
  );
  if (narrowed.length === 0) throw notFound('FORECAST_REGION', `统筹区 ${region} 不存在或不在您的范围内`);
  return [...new Set(narrowed)];
}

function checkMonth(name: string, value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (!MONTH.test(value)) throw invalid('FORECAST_SERIES_INVALID', `${name}应为 YYYY-MM 格式的月份`);
  return value;
}

const nextMonth = (period: string) => {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
};

export async function settlementSeries(
  db: Db,
  access: AccessContext,
  query: { region?: string; from?: string; to?: string },
): Promise<SettlementSeries> {
  const region = query.region?.trim() || null;
  const from = checkMonth('起始月份', query.from);
  const to = checkMonth('截止月份', query.to);
  if (from && to && from > to) throw invalid('FORECAST_SERIES_INVALID', '起始月份晚于截止月份');
  const regions = regionsWithin(await fundRegions(db, access), region);
  const rows = await settlementMonths(db, { regions, from, to });
  const points: SettlementSeriesPoint[] = [];
  const byMonth = new Map(rows.map((row) => [row.period, row]));
  const first = rows[0]?.period;
  const last = rows[rows.length - 1]?.period;
  if (first && last)
    for (let month = first; month <= last; month = nextMonth(month)) {
      const row = byMonth.get(month);
      points.push({
        period: month,
        settlements: row?.settlements ?? 0,
        fundPaid: row?.fundPaid ?? '0',
        totalCost: row?.totalCost ?? '0',
      });
    }
  return { region, points };
}
