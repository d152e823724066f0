import type { AnomalyKind } from './anomaly.repo.js';
import { percent, yuan } from './anomaly.query.js';

// The measures of the anomaly look-up: their codes, Chinese names, how each is computed (shown beside
// the figures) and how a value is printed in an explanation.

export const MEASURES = [
  'cost_per_visit',
  'readmission_rate',
  'high_price_share',
  'visits_per_month',
] as const;
export type Measure = (typeof MEASURES)[number];

export const MEASURE_NAMES: Record<Measure, string> = {
  cost_per_visit: '次均费用',
  readmission_rate: '30天再住院率',
  high_price_share: '高价项目金额占比',
  visits_per_month: '每月就诊次数',
};

export const KIND_NAMES: Record<AnomalyKind, string> = { institution: '医疗机构', person: '参保人' };

export function measureHow(measure: Measure, params: { highPrice: number; readmitDays: number }): string {
  switch (measure) {
    case 'cost_per_visit':
      return '期间内结算总费用 ÷ 结算次数（元）';
    case 'readmission_rate':
      return `期间内结算的住院中，同一参保人出院后 0～${params.readmitDays} 天内再次入院（任一机构）的比例`;
    case 'high_price_share':
      return `明细中单价 ≥ ${yuan(params.highPrice)} 元的项目金额 ÷ 明细总金额`;
    case 'visits_per_month':
      return '期间内结算次数 ÷ 期间月数（天数 ÷ 30.44）';
  }
}

/** The value as an explanation prints it: “12,345.00 元”, “23.5%”, “41.2 次”. */
export function showValue(measure: Measure, value: number): string {
  switch (measure) {
    case 'cost_per_visit':
      return `${yuan(value)} 元`;
    case 'readmission_rate':
    case 'high_price_share':
      return percent(value);
    case 'visits_per_month':
      return `${value.toFixed(1)} 次`;
  }
}

/** The peer group as an explanation names it: “同级（二级）同统筹区 18 家机构”, “同统筹区 120 名参保人”. */
export function peerWords(kind: AnomalyKind, level: string | null, count: number): string {
  return kind === 'institution' ? `同级（${level}）同统筹区 ${count} 家机构` : `同统筹区 ${count} 名参保人`;
}
