import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import { maskIdNumber } from '../../shared/id-in-text.js';
import { invalid } from '../../shared/errors.js';
import {
  MEASURE_NAMES,
  MEASURES,
  type Measure,
  KIND_NAMES,
  measureHow,
  peerWords,
  showValue,
} from './anomaly.names.js';
import { numberParam, type Period, periodOf, windowOf } from './anomaly.query.js';
import {
  type AnomalyKind,
  highPriceAggregates,
  readmissionAggregates,
  type SettlementWindow,
  type SubjectValue,
  visitAggregates,
} from './anomaly.repo.js';
import type { AnomalyFlag, AnomalyReport } from './anomaly.schema.js';
import { peerSpread, robustScore } from './anomaly.stats.js';
import { fundRegions } from './settlement.scope.js';

// 异常机构与人员: each institution (or insured person) measured over a period and compared with its
// peers — institutions of the same level in the same 统筹区, people enrolled in the same 统筹区 — by
// a robust score against the peers' median and MAD. A group smaller than minPeers is not scored and
// the answer says so; every flag explains in words which measure, the value, the peer median and how
// far. People appear only as masked ID numbers; no diagnosis is read.

export interface AnomalyQuery {
  kind?: string;
  from?: string;
  to?: string;
  region?: string;
  measure?: string;
  threshold?: number | string;
  minPeers?: number | string;
  minVolume?: number | string;
  highPrice?: number | string;
  limit?: number | string;
}

const CODE = 'FUND_ANOMALY_INVALID';
const READMIT_DAYS = 30;

export interface AnomalyParams {
  kind: AnomalyKind;
  measures: Measure[];
  period: Period;
  threshold: number;
  minPeers: number;
  minVolume: number;
  highPrice: number;
  limit: number;
}

export function anomalyParams(query: AnomalyQuery): AnomalyParams {
  const kind = (query.kind?.trim() || 'institution') as AnomalyKind;
  if (kind !== 'institution' && kind !== 'person')
    throw invalid(
      CODE,
      `对象（kind）应为 institution（医疗机构）或 person（参保人）：“${String(query.kind).slice(0, 20)}”`,
    );
  let measures: Measure[] = [...MEASURES];
  if (query.measure !== undefined && query.measure.trim() !== '') {
    const asked = query.measure
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const unknown = asked.filter(
      (part) => !MEASURES.includes(part as Measure) && !Object.values(MEASURE_NAMES).includes(part),
    );
    if (unknown.length > 0)
      throw invalid(
        CODE,
        `指标（measure）“${unknown[0]?.slice(0, 30)}”不存在；可用：${MEASURES.map((code) => `${code}（${MEASURE_NAMES[code]}）`).join('、')}`,
      );
    measures = MEASURES.filter((code) => asked.includes(code) || asked.includes(MEASURE_NAMES[code]));
  }
  return {
    kind,
    measures,
    period: periodOf(CODE, query),
    threshold: numberParam(CODE, '阈值（threshold）', query.threshold, 3.5, { min: 1, max: 20 }),
    minPeers: numberParam(CODE, '同组最少个数（minPeers）', query.minPeers, 5, {
      min: 3,
      max: 1000,
      integer: true,
    }),
    minVolume: numberParam(
      CODE,
      '最少结算次数（minVolume）',
      query.minVolume,
      kind === 'institution' ? 10 : 3,
      {
        min: 1,
        max: 100_000,
        integer: true,
      },
    ),
    highPrice: numberParam(CODE, '高价项目单价下限（highPrice）', query.highPrice, 1000, {
      min: 0.01,
      max: 10_000_000,
    }),
    limit: numberParam(CODE, '条数（limit）', query.limit, 200, { min: 1, max: 5000, integer: true }),
  };
}

/** Each measure's values, one aggregate query per measure (次均费用 and 每月就诊次数 share one pass). */
async function measureValues(
  db: Db,
  params: AnomalyParams,
  window: SettlementWindow,
): Promise<Map<Measure, SubjectValue[]>> {
  const values = new Map<Measure, SubjectValue[]>();
  const wants = (measure: Measure) => params.measures.includes(measure);
  if (wants('cost_per_visit') || wants('visits_per_month')) {
    const visits = await visitAggregates(db, params.kind, window);
    if (wants('cost_per_visit')) values.set('cost_per_visit', visits);
    if (wants('visits_per_month'))
      values.set(
        'visits_per_month',
        visits.map((row) => ({ ...row, value: row.volume / params.period.months })),
      );
  }
  if (wants('readmission_rate'))
    values.set('readmission_rate', await readmissionAggregates(db, params.kind, window, READMIT_DAYS));
  if (wants('high_price_share'))
    values.set('high_price_share', await highPriceAggregates(db, params.kind, window, params.highPrice));
  return values;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

function subjectOf(kind: AnomalyKind, row: SubjectValue): { subject: string; name: string } {
  if (kind === 'institution') return { subject: row.key, name: row.name };
  // The person as a masked ID number (first six, last four); the blind index is never shown.
  return {
    subject: maskIdNumber(openIdNumber(row.sealed)) ?? `参保人 ${row.key.slice(0, 8)}`,
    name: '参保人',
  };
}

export async function findAnomalies(
  db: Db,
  access: AccessContext,
  query: AnomalyQuery,
): Promise<AnomalyReport> {
  if (access.kind === 'principal') access.authorize('fund.read');
  const params = anomalyParams(query);
  const window = windowOf(CODE, params.period, await fundRegions(db, access), query.region);
  const values = await measureValues(db, params, window);

  const flags: AnomalyFlag[] = [];
  const unscored: AnomalyReport['unscored'] = [];
  const peerGroups: AnomalyReport['peerGroups'] = [];
  const subjects = new Set<string>();
  let scored = 0;
  let lowVolume = 0;
  for (const [measure, rows] of values) {
    const groups = new Map<string, SubjectValue[]>();
    for (const row of rows) {
      subjects.add(row.key);
      if (row.value === null) continue;
      if (row.volume < params.minVolume) {
        lowVolume++;
        continue;
      }
      const key = `${row.level ?? ''}|${row.region}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const members of [...groups.values()].sort((a, b) => groupOrder(a[0], b[0]))) {
      const first = members[0] as SubjectValue;
      const peers = peerWords(params.kind, first.level, members.length);
      const group = {
        measure,
        measureName: MEASURE_NAMES[measure],
        level: first.level,
        region: first.region,
      };
      if (members.length < params.minPeers) {
        unscored.push({
          ...group,
          peers: members.length,
          reason: `${peers}，少于 ${params.minPeers}${params.kind === 'institution' ? ' 家' : ' 名'}，不评分`,
        });
        continue;
      }
      const spread = peerSpread(members.map((row) => row.value as number));
      if (!spread) {
        unscored.push({ ...group, peers: members.length, reason: `${peers}取值全部相同，不评分` });
        continue;
      }
      scored += members.length;
      const scoredMembers = members.map((row) => {
        const score = robustScore(row.value as number, spread);
        return { row, score, flagged: Math.abs(score) >= params.threshold };
      });
      for (const { row, score, flagged } of scoredMembers) {
        if (!flagged) continue;
        const value = row.value as number;
        flags.push({
          kind: params.kind,
          ...subjectOf(params.kind, row),
          level: row.level,
          region: row.region,
          measure,
          measureName: MEASURE_NAMES[measure],
          value: round(value, 6),
          valueText: showValue(measure, value),
          volume: row.volume,
          peers: members.length,
          peerMedian: round(spread.median, 6),
          peerScale: round(spread.scale, 6),
          score: round(score, 2),
          explanation: `${MEASURE_NAMES[measure]} ${showValue(measure, value)}，${peers}中位数 ${showValue(
            measure,
            spread.median,
          )}，${score > 0 ? '高出' : '低于'} ${Math.abs(score).toFixed(1)} 个稳健标准差`,
        });
      }
      if (params.kind === 'institution' && scoredMembers.some((member) => member.flagged))
        peerGroups.push({
          ...group,
          median: round(spread.median, 6),
          scale: round(spread.scale, 6),
          members: scoredMembers
            .sort((a, b) => (a.row.value as number) - (b.row.value as number))
            .map(({ row, score, flagged }) => ({
              subject: row.key,
              name: row.name,
              value: round(row.value as number, 6),
              score: round(score, 2),
              flagged,
            })),
        });
    }
  }
  flags.sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.subject.localeCompare(b.subject));
  return {
    kind: params.kind,
    kindName: KIND_NAMES[params.kind],
    from: params.period.from,
    to: params.period.to,
    region: window.region,
    params: {
      threshold: params.threshold,
      minPeers: params.minPeers,
      minVolume: params.minVolume,
      highPrice: params.highPrice,
      readmitDays: READMIT_DAYS,
    },
    measures: params.measures.map((code) => ({
      code,
      name: MEASURE_NAMES[code],
      how: measureHow(code, { highPrice: params.highPrice, readmitDays: READMIT_DAYS }),
    })),
    subjects: subjects.size,
    scored,
    flagged: flags.length,
    flags: flags.slice(0, params.limit),
    lowVolume,
    unscored,
    peerGroups,
    note:
      params.kind === 'institution'
        ? `与同级、同统筹区机构比较；稳健分数 = (指标值 − 同组中位数) ÷ (1.4826 × MAD)，|分数| ≥ ${params.threshold} 标记；同组少于 ${params.minPeers} 家不评分；结算少于 ${params.minVolume} 次的机构不计入`
        : `与同一参保地统筹区的参保人比较；稳健分数 = (指标值 − 同组中位数) ÷ (1.4826 × MAD)，|分数| ≥ ${params.threshold} 标记；同组少于 ${params.minPeers} 人不评分；结算少于 ${params.minVolume} 次的参保人不计入`,
  };
}

const groupOrder = (a: SubjectValue | undefined, b: SubjectValue | undefined) =>
  `${a?.region}|${a?.level}`.localeCompare(`${b?.region}|${b?.level}`);
