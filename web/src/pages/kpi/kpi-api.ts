import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';

// The 考核指标 calls the console makes (/api/v1/kpi…).

export type KpiAnswer = ResponseOf<'/api/v1/kpi', 'get'>;
export type KpiUnit = KpiAnswer['total'];
export type KpiDefinition = KpiAnswer['definitions'][number];

export interface KpiFilter {
  year?: string;
  fonds?: string;
  region?: string;
}

const clean = (filter: KpiFilter) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== ''));

export const loadKpi = (filter: KpiFilter = {}): Promise<KpiAnswer> =>
  unwrap(api.GET('/api/v1/kpi', { params: { query: clean(filter) } }));

export const reportQuery = (filter: KpiFilter, format: 'xlsx' | 'pdf'): string =>
  new URLSearchParams({ ...(clean(filter) as Record<string, string>), format }).toString();
