import { api, unwrap } from '../../api/client';
import type { QueryOf, ResponseOf } from '../../api/types';

// The 结算数据 calls the console makes (/api/v1/fund/settlements, /api/v1/fund/imports).

export type SettlementPage = ResponseOf<'/api/v1/fund/settlements', 'get'>;
export type SettlementRow = SettlementPage['settlements'][number];
export type SettlementDetail = ResponseOf<'/api/v1/fund/settlements/{serial}', 'get'>;
export type SettlementFilter = QueryOf<'/api/v1/fund/settlements', 'get'>;
export type SettlementImport = ResponseOf<'/api/v1/fund/settlements', 'post'>;

const defined = <T extends object>(filter: T) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as T;

export const loadSettlements = (filter: SettlementFilter): Promise<SettlementPage> =>
  unwrap(api.GET('/api/v1/fund/settlements', { params: { query: defined(filter) } }));

export const loadSettlement = (serial: string): Promise<SettlementDetail> =>
  unwrap(api.GET('/api/v1/fund/settlements/{serial}', { params: { path: { serial } } }));

export const importPath = (encoding?: string, report?: 'xlsx') => {
  const query = new URLSearchParams();
  if (encoding) query.set('encoding', encoding);
  if (report) query.set('report', report);
  const text = query.toString();
  return `/api/v1/fund/imports${text ? `?${text}` : ''}`;
};

export const settlementPath = (serial: string) => `/fund/settlements/${encodeURIComponent(serial)}`;
