import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import { maskIdNumber } from '../../shared/id-in-text.js';
import { numberParam, percent, periodOf, windowOf, yuan } from './anomaly.query.js';
import { clusterPoints, K_RANGE, SEED, SILHOUETTE_SAMPLE, standardise } from './group.cluster.js';
import { type PersonFigures, personFigures } from './group.repo.js';
import type { GroupReport } from './group.schema.js';
import { fundRegions } from './settlement.scope.js';

// 高风险群体: insured people with settlements in the period and the caller's regions, described by
// six named features, standardised (counts and amounts on a log scale first, so a few very large
// values do not make every other person look alike) and clustered by k-means with a fixed seed; k is
// the one of 2..6 with the largest mean silhouette. Each cluster is told in words and counts. People
// appear only as masked ID numbers, listed for the caller's own regions; no diagnosis is read.

const CODE = 'FUND_GROUP_INVALID';
/** Fewer people than this are not clustered (the answer says so). */
export const MIN_PERSONS = 30;

interface Feature {
  code: string;
  name: string;
  how: string;
  value: (row: PersonFigures, years: number) => number;
  log: boolean;
  /** Words for a cluster whose centre lies at least one standard deviation above the mean. */
  high: string;
  /** Whether a cluster high on it is a risk (frequent care, many institutions, high costs). */
  risk: boolean;
}

const FEATURES: Feature[] = [
  {
    code: 'visits_per_year',
    name: '年就诊次数',
    how: '结算次数 ÷ 期间年数，取对数后标准化',
    value: (row, years) => row.visits / years,
    log: true,
    high: '高频就诊',
    risk: true,
  },
  {
    code: 'cost_per_visit',
    name: '次均费用',
    how: '总费用 ÷ 结算次数（元），取对数后标准化',
    value: (row) => row.cost / row.visits,
    log: true,
    high: '次均费用高',
    risk: true,
  },
  {
    code: 'fund_share',
    name: '基金支付占比',
    how: '基金支付 ÷ 总费用，标准化',
    value: (row) => (row.cost > 0 ? row.fund / row.cost : 0),
    log: false,
    high: '基金支付占比高',
    risk: false,
  },
  {
    code: 'institutions',
    name: '就诊机构数',
    how: '不同医疗机构数，取对数后标准化',
    value: (row) => row.institutions,
    log: true,
    high: '多机构就诊',
    risk: true,
  },
  {
    code: 'inpatient_share',
    name: '住院占比',
    how: '住院次数 ÷ 结算次数，标准化',
    value: (row) => row.stays / row.visits,
    log: false,
    high: '住院为主',
    risk: false,
  },
  {
    code: 'cost_per_year',
    name: '年总费用',
    how: '总费用 ÷ 期间年数（元），取对数后标准化',
    value: (row, years) => row.cost / years,
    log: true,
    high: '年费用高',
    risk: true,
  },
];

export interface GroupQuery {
  from?: string;
  to?: string;
  region?: string;
  members?: number | string;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

function describe(size: number, means: Record<string, number>, labels: string[]): string {
  const m = (code: string) => means[code] as number;
  return `${labels.join('、')}：${size} 人，平均每年就诊 ${m('visits_per_year').toFixed(1)} 次（住院占 ${percent(
    m('inpatient_share'),
  )}），次均费用 ${yuan(m('cost_per_visit'))} 元，年均费用 ${yuan(m('cost_per_year'))} 元，平均在 ${m(
    'institutions',
  ).toFixed(1)} 家机构就诊，基金支付占比 ${percent(m('fund_share'))}`;
}

export async function findGroups(db: Db, access: AccessContext, query: GroupQuery): Promise<GroupReport> {
  if (access.kind === 'principal') access.authorize('fund.read');
  const period = periodOf(CODE, query);
  const memberCount = numberParam(CODE, '每群列出的成员数（members）', query.members, 10, {
    min: 0,
    max: 500,
    integer: true,
  });
  const window = windowOf(CODE, period, await fundRegions(db, access), query.region);
  const rows = await personFigures(db, window);
  const years = period.days / 365.25;
  const raw = rows.map((row) => FEATURES.map((feature) => feature.value(row, years)));
  const base = {
    from: period.from,
    to: period.to,
    region: window.region,
    persons: rows.length,
    kRule: `对 k = ${K_RANGE[0]}～${K_RANGE.at(-1)} 分别做 k 均值聚类（k-means++ 初始化，固定种子），取平均轮廓系数（silhouette，至多抽取 ${SILHOUETTE_SAMPLE} 人计算）最大的 k；相同时取较小的 k`,
    seed: SEED,
    features: FEATURES.map(({ code, name, how }) => ({ code, name, how })),
  };
  const distinct = new Set(raw.map((row) => row.join(','))).size;
  if (rows.length < MIN_PERSONS || distinct <= K_RANGE[0]) {
    return {
      ...base,
      clustered: false,
      k: 0,
      tried: [],
      clusters: [],
      note: `期间内有结算的参保人 ${rows.length} 人${rows.length < MIN_PERSONS ? `，少于 ${MIN_PERSONS} 人` : '，特征取值几乎相同'}，不做聚类`,
    };
  }
  const { points } = standardise(
    raw.map((row) => row.map((value, column) => (FEATURES[column]?.log ? Math.log1p(value) : value))),
  );
  const result = clusterPoints(points);
  const clusters = Array.from({ length: result.k }, (_, cluster) => {
    const indexes = result.clusters.flatMap((assigned, index) => (assigned === cluster ? [index] : []));
    const centre = result.centroids[cluster] as number[];
    const means = Object.fromEntries(
      FEATURES.map((feature, column) => [
        feature.code,
        Number(mean(indexes.map((index) => raw[index]?.[column] as number)).toFixed(4)),
      ]),
    );
    const centroid = Object.fromEntries(
      FEATURES.map((feature, column) => [feature.code, Number((centre[column] as number).toFixed(3))]),
    );
    const high = FEATURES.filter((_, column) => (centre[column] as number) >= 1);
    const labels = high.length > 0 ? high.map((feature) => feature.high) : ['一般就诊'];
    const risk = high.some((feature) => feature.risk) ? '高风险' : '一般';
    const distanceOf = (index: number) =>
      (points[index] as number[]).reduce(
        (sum, value, column) => sum + (value - (centre[column] as number)) ** 2,
        0,
      );
    const members = indexes
      .map((index) => ({ index, distance: distanceOf(index) }))
      .sort((a, b) => a.distance - b.distance || a.index - b.index)
      .slice(0, memberCount)
      .map(({ index }) => maskIdNumber(openIdNumber(rows[index]?.sealed)) ?? '（无法显示）');
    return {
      label: labels.join('、'),
      risk,
      size: indexes.length,
      description: describe(indexes.length, means, labels),
      means,
      centroid,
      members,
    };
  })
    .filter((cluster) => cluster.size > 0)
    .sort(
      (a, b) =>
        (a.risk === b.risk ? 0 : a.risk === '高风险' ? -1 : 1) ||
        b.size - a.size ||
        a.label.localeCompare(b.label),
    )
    .map((cluster, index) => ({ id: index + 1, ...cluster }));
  return {
    ...base,
    clustered: true,
    k: result.k,
    tried: result.tried,
    clusters,
    note: `${rows.length} 名参保人按 ${FEATURES.length} 项特征聚为 ${result.k} 群；“高风险”指群体中心在年就诊次数、次均费用、就诊机构数或年总费用上高出全体均值 1 个标准差以上；成员只显示脱敏身份证号`,
  };
}
