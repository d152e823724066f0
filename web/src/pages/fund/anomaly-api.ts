import { api, unwrap } from '../../api/client';
import type { QueryOf, ResponseOf } from '../../api/types';

// The 异常机构 calls the console makes (/api/v1/fund/anomalies, /api/v1/fund/groups).

export type AnomalyReport = ResponseOf<'/api/v1/fund/anomalies', 'get'>;
export type AnomalyFlag = AnomalyReport['flags'][number];
export type PeerGroup = AnomalyReport['peerGroups'][number];
export type GroupReport = ResponseOf<'/api/v1/fund/groups', 'get'>;
export type GroupCluster = GroupReport['clusters'][number];
export type AnomalyFilter = QueryOf<'/api/v1/fund/anomalies', 'get'>;

const defined = <T extends object>(filter: T) =>
  Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== '')) as T;

export const loadAnomalies = (filter: AnomalyFilter): Promise<AnomalyReport> =>
  unwrap(api.GET('/api/v1/fund/anomalies', { params: { query: defined(filter) } }));

export const loadGroups = (filter: { from?: string; to?: string; region?: string }): Promise<GroupReport> =>
  unwrap(api.GET('/api/v1/fund/groups', { params: { query: { ...defined(filter), members: '20' } } }));

export const MEASURE_OPTIONS = [
  { value: 'cost_per_visit', label: '次均费用' },
  { value: 'readmission_rate', label: '30天再住院率' },
  { value: 'high_price_share', label: '高价项目金额占比' },
  { value: 'visits_per_month', label: '每月就诊次数' },
];
