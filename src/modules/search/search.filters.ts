import { invalid } from '../../shared/errors.js';
import { regionPrefix } from '../access/principal.js';
import { categoryBranchIds } from '../catalog/catalog.context.js';
import type { CategoryBrief } from '../catalog/catalog.queries.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import { CARRIERS, SENSITIVITIES } from '../catalog/item.schema.js';
import {
  isRetentionPeriod,
  RETENTION_LABELS,
  RETENTION_PERIODS,
  type RetentionPeriod,
} from '../catalog/retention.js';
import { compactName } from './names.js';
import type { ColumnFilters } from './search.repo.js';
import { quoteLexeme } from './text.js';

// Field filters of a search, checked and turned into index terms (category, year, region, carrier,
// handler, agency) or column conditions (retention, sensitivity, amounts, dates).

export interface SearchFilters {
  fonds?: string;
  category?: string;
  yearFrom?: number;
  yearTo?: number;
  retention?: string;
  region?: string;
  carrier?: string;
  sensitivity?: string;
  amountMin?: string | number;
  amountMax?: string | number;
  dateFrom?: string;
  dateTo?: string;
  handler?: string;
  agency?: string;
}

export interface FilterTerms extends ColumnFilters {
  /** tsquery parts, all required. */
  terms: string[];
  any: boolean;
}

/** 永久, 100年 … 10年: the schedule's own labels without 定期. */
const RETENTION_NAMES: Record<string, RetentionPeriod> = Object.fromEntries(
  RETENTION_PERIODS.map((period) => [RETENTION_LABELS[period].replace('定期', ''), period]),
);
/** Year ranges up to this long are index terms; longer ones a column condition. */
const MAX_YEAR_TERMS = 30;

const bad = (message: string) => invalid('SEARCH_FILTER_INVALID', message);

function codeOf(value: string, table: Record<string, string>, label: string): string {
  const trimmed = value.trim();
  if (Object.hasOwn(table, trimmed)) return trimmed;
  const byLabel = Object.entries(table).find(([, name]) => name === trimmed);
  if (byLabel) return byLabel[0];
  throw bad(`${label}“${trimmed.slice(0, 20)}”无效，可选：${Object.values(table).join('、')}`);
}

function amount(value: string | number | undefined, label: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(text)) throw bad(`${label}应为非负金额（元，最多两位小数）`);
  return text;
}

function day(value: string | undefined, label: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!match || !isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])))
    throw bad(`${label}应为有效日期（YYYY-MM-DD）`);
  return value.trim();
}

function year(value: number | undefined, label: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1900 || value > 2200)
    throw bad(`${label}应为 1900–2200 之间的年份`);
  return value;
}

/** A region code, or the province/city part of one (32, 3201), as the prefix it stands for. */
function regionFilter(value: string): string {
  const code = value.trim();
  if (!/^\d{2}(\d{2}(\d{2})?)?$/.test(code)) throw bad('统筹区应为 2、4 或 6 位行政区划代码');
  return regionPrefix(code);
}

export function filterTerms(filters: SearchFilters, categories: readonly CategoryBrief[]): FilterTerms {
  const out: FilterTerms = { terms: [], any: false };
  if (filters.fonds) {
    if (!/^[A-Z0-9]{4}$/.test(filters.fonds)) throw bad('全宗号应为 4 位大写字母或数字');
    out.fonds = filters.fonds;
  }
  if (filters.category) {
    const category = categories.find((row) => row.code === filters.category?.trim());
    if (!category) throw bad(`类别“${filters.category.slice(0, 20)}”不存在`);
    const ids = categoryBranchIds(categories, category.id);
    out.terms.push(`(${ids.map((id) => quoteLexeme(`c:${id}`)).join(' | ')})`);
  }
  const from = year(filters.yearFrom, '起始年度');
  const to = year(filters.yearTo, '截止年度');
  if (from !== undefined && to !== undefined && from > to) throw bad('起始年度不能晚于截止年度');
  if (from !== undefined && to !== undefined && to - from < MAX_YEAR_TERMS) {
    const years: string[] = [];
    for (let y = from; y <= to; y++) years.push(quoteLexeme(`y:${y}`));
    out.terms.push(`(${years.join(' | ')})`);
  }
  // Also as column bounds: they bound a walk down the (year, date) index to the years asked for.
  out.yearFrom = from;
  out.yearTo = to;
  if (filters.retention) {
    const code = RETENTION_NAMES[filters.retention.trim()] ?? filters.retention.trim().toUpperCase();
    if (!isRetentionPeriod(code)) throw bad('保管期限应为 Y/D100/D50/D30/D15/D10 或 永久/30年/10年 等');
    out.retention = [code];
  }
  if (filters.region) out.terms.push(`${quoteLexeme(`r:${regionFilter(filters.region)}`)}:*`);
  if (filters.carrier) out.terms.push(quoteLexeme(`k:${codeOf(filters.carrier, CARRIERS, '载体')}`));
  if (filters.sensitivity) out.sensitivity = [codeOf(filters.sensitivity, SENSITIVITIES, '敏感级别')];
  out.amountMin = amount(filters.amountMin, '最小金额');
  out.amountMax = amount(filters.amountMax, '最大金额');
  if (out.amountMin && out.amountMax && Number(out.amountMin) > Number(out.amountMax))
    throw bad('最小金额不能大于最大金额');
  out.dateFrom = day(filters.dateFrom, '起始日期');
  out.dateTo = day(filters.dateTo, '截止日期');
  if (out.dateFrom && out.dateTo && out.dateFrom > out.dateTo) throw bad('起始日期不能晚于截止日期');
  for (const [value, prefix, label] of [
    [filters.handler, 'h', '经办人'],
    [filters.agency, 'a', '经办机构'],
  ] as const) {
    if (value === undefined || value.trim() === '') continue;
    if ([...value].length > 100) throw bad(`${label}过长（最多 100 个字符）`);
    out.terms.push(quoteLexeme(`${prefix}:${compactName(value)}`));
  }
  out.any =
    out.terms.length > 0 ||
    [
      out.fonds,
      out.retention,
      out.sensitivity,
      out.amountMin,
      out.amountMax,
      out.dateFrom,
      out.dateTo,
      out.yearFrom,
      out.yearTo,
    ].some((value) => value !== undefined);
  return out;
}
