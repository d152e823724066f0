import type { ErrorCode } from '../../shared/error-codes.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import type { SettlementWindow } from './anomaly.repo.js';

// The period, region and numeric parameters of the anomaly and group look-ups, checked once: a bad
// value is refused with its field named in Chinese, never silently replaced by a default.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
/** The longest period read at once (the measures are yearly figures; five years is ample). */
const MAX_DAYS = 5 * 366;

function realDay(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return date.toISOString().slice(0, 10);
}

const lastDay = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** 2026-03-15 as itself; 2026-03 as its first (from) or last (to) day. */
function parseDay(code: ErrorCode, field: string, text: string, end: boolean): string {
  const value = text.trim();
  const day = DAY.exec(value);
  const month = MONTH.exec(value);
  const parsed = day
    ? realDay(Number(day[1]), Number(day[2]), Number(day[3]))
    : month
      ? realDay(Number(month[1]), Number(month[2]), end ? lastDay(Number(month[1]), Number(month[2])) : 1)
      : null;
  if (!parsed || parsed < '1990-01-01' || parsed > '2100-12-31')
    throw invalid(code, `${field}应为日期（如 2026-03-15）或月份（如 2026-03）：“${value.slice(0, 20)}”`);
  return parsed;
}

const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;

export interface Period {
  from: string;
  to: string;
  days: number;
  /** The period's length in months (days ÷ 30.44), the divisor of 每月就诊次数. */
  months: number;
}

/** The period asked for; by default the twelve months (365 days) up to today in Beijing. */
export function periodOf(
  code: ErrorCode,
  query: { from?: string; to?: string },
  today = beijingDate(new Date()),
): Period {
  const to = query.to !== undefined ? parseDay(code, '截止日期（to）', query.to, true) : today;
  const from =
    query.from !== undefined
      ? parseDay(code, '起始日期（from）', query.from, false)
      : new Date(Date.parse(to) - 364 * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw invalid(code, `起始日期 ${from} 晚于截止日期 ${to}`);
  const days = daysBetween(from, to);
  if (days > MAX_DAYS) throw invalid(code, `期间最长 5 年，所给期间为 ${Math.round(days)} 天`);
  return { from, to, days, months: days / 30.4375 };
}

/** A region code's prefix: 320100 covers every 3201xx district, 320000 the province. */
export function regionPrefixOf(code: string): string {
  let prefix = code;
  for (let pair = 0; pair < 2 && prefix.endsWith('00'); pair++) prefix = prefix.slice(0, -2);
  return prefix;
}

/**
 * The settlement regions read: the caller's prefixes, narrowed to the region asked for. A region
 * outside the caller's scope reads nothing (its rows are not found, never "forbidden").
 */
export function windowOf(
  code: ErrorCode,
  period: Period,
  scope: readonly string[] | null,
  region: string | undefined,
): SettlementWindow & { region: string | null } {
  if (region === undefined || region.trim() === '')
    return { from: period.from, to: period.to, regions: scope, region: null };
  const asked = region.trim();
  if (!/^\d{6}$/.test(asked))
    throw invalid(code, `统筹区（region）应为 6 位行政区划代码，如 320100：“${asked.slice(0, 20)}”`);
  const prefix = regionPrefixOf(asked);
  let regions: string[];
  if (scope === null) regions = [prefix];
  else
    regions = scope.flatMap((own) =>
      prefix.startsWith(own) ? [prefix] : own.startsWith(prefix) ? [own] : [],
    );
  return { from: period.from, to: period.to, regions: [...new Set(regions)], region: asked };
}

/** A number parameter: absent → the default; otherwise within [min, max] (and whole when asked). */
export function numberParam(
  code: ErrorCode,
  field: string,
  value: number | string | undefined,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) return fallback;
  const parsed = typeof value === 'number' ? value : Number(value.trim());
  if (
    !Number.isFinite(parsed) ||
    (range.integer && !Number.isInteger(parsed)) ||
    parsed < range.min ||
    parsed > range.max
  )
    throw invalid(
      code,
      `${field}应为 ${range.min} 至 ${range.max} 之间的${range.integer ? '整数' : '数'}：“${String(value).slice(0, 20)}”`,
    );
  return parsed;
}

/** 12,345.00 — amounts as the explanations print them. */
export const yuan = (value: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 23.5% — shares as the explanations print them. */
export const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
