import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';

// The 利用登记与统计 calls the console makes (/api/v1/use/…).

export type UseStats = ResponseOf<'/api/v1/use/stats', 'get'>;
export type UsePage = ResponseOf<'/api/v1/use/entries', 'get'>;
export type UseEntry = UsePage['uses'][number];
export type UseSummary = ResponseOf<'/api/v1/use/summary', 'get'>;

export interface UseFilter {
  from?: string;
  to?: string;
  kind?: string;
  period?: string;
  by?: string;
}

const defined = (filter: UseFilter) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== ''));

export const loadStats = (filter: UseFilter): Promise<UseStats> =>
  unwrap(api.GET('/api/v1/use/stats', { params: { query: defined(filter) } }));

export const loadUses = (filter: UseFilter, before?: string): Promise<UsePage> => {
  const { period: _period, by: _by, ...rest } = filter;
  return unwrap(
    api.GET('/api/v1/use/entries', { params: { query: { ...defined(rest), before, limit: 20 } } }),
  );
};

export const loadSummary = (): Promise<UseSummary> => unwrap(api.GET('/api/v1/use/summary'));

export const recordEffect = (
  seq: number,
  body: { item: string | null; effect: string; note: string | null },
) => unwrap(api.POST('/api/v1/use/entries/{seq}/effect', { params: { path: { seq } }, body }));

/** The query string of the workbook's address. */
export const statsQuery = (filter: UseFilter): string =>
  new URLSearchParams(defined(filter) as Record<string, string>).toString();
