import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { USE_KIND_NAMES } from './use.names.js';
import { countUses, type StatsDimension, type StatsPeriod } from './use.repo.js';
import { type UseQuery, useFilter } from './use.service.js';
import type { UseKind } from './use.tables.js';

// 利用统计: uses counted by period (month, quarter or year in Beijing time) and by one of kind,
// category or department, within the caller's scope (use.stats: archivists and managers).

export const STATS_PERIODS: Record<StatsPeriod, string> = { month: '月', quarter: '季度', year: '年' };
export const STATS_DIMENSIONS: Record<StatsDimension, string> = {
  kind: '利用方式',
  category: '档案类别',
  department: '利用部门',
  none: '合计',
};

export interface StatsRow {
  period: string;
  periodName: string;
  key: string | null;
  label: string;
  /** 利用次数: rows of the register. */
  uses: number;
  /** 利用档案件数: distinct 档号 among them. */
  items: number;
  /** Uses whose 利用效果 has been recorded. */
  effects: number;
}

export interface UseStats {
  period: StatsPeriod;
  by: StatsDimension;
  from: string | null;
  to: string | null;
  rows: StatsRow[];
  total: { uses: number; effects: number };
  asOf: string;
}

/** 2026-03 → 2026年3月, 2026-Q1 → 2026年第1季度, 2026 → 2026年. */
export function periodName(period: string): string {
  const quarter = /^(\d{4})-Q(\d)$/.exec(period);
  if (quarter) return `${quarter[1]}年第${quarter[2]}季度`;
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) return `${month[1]}年${Number(month[2])}月`;
  return `${period}年`;
}

export async function useStats(
  db: Db,
  access: AccessContext,
  query: UseQuery & { period?: string; by?: string },
): Promise<UseStats> {
  if (access.kind === 'principal') access.authorize('use.stats');
  const period = (query.period ?? 'month') as StatsPeriod;
  if (!Object.hasOwn(STATS_PERIODS, period))
    throw invalid('USE_QUERY_INVALID', '统计周期应为 month（月）、quarter（季度）或 year（年）');
  const by = (query.by ?? 'kind') as StatsDimension;
  if (!Object.hasOwn(STATS_DIMENSIONS, by))
    throw invalid(
      'USE_QUERY_INVALID',
      '统计维度应为 kind（利用方式）、category（档案类别）、department（利用部门）或 none（合计）',
    );
  const categories = await listCategories(db);
  const filter = useFilter(access, query, categories);
  const cells = await countUses(db, filter, period, by);
  const categoryNames = new Map(categories.map((row) => [String(row.id), row.name]));
  const label = (key: string | null): string => {
    if (by === 'none') return '合计';
    if (key === null) return '（无）';
    if (by === 'kind') return USE_KIND_NAMES[key as UseKind] ?? key;
    if (by === 'category') return categoryNames.get(key) ?? key;
    return key;
  };
  const rows = cells.map((cell) => ({
    period: cell.period,
    periodName: periodName(cell.period),
    key: cell.key,
    label: label(cell.key),
    uses: cell.uses,
    items: cell.items,
    effects: cell.effects,
  }));
  return {
    period,
    by,
    from: query.from ?? null,
    to: query.to ?? null,
    rows,
    total: {
      uses: rows.reduce((sum, row) => sum + row.uses, 0),
      effects: rows.reduce((sum, row) => sum + row.effects, 0),
    },
    asOf: beijingIso(new Date()),
  };
}
