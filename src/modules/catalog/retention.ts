// 保管期限 retention periods. Expiry is counted from 1 January of the year after the record was
// formed: a D10 record formed in 2024 expires on 2035-01-01; 永久 (Y) never expires.

export const RETENTION_PERIODS = ['Y', 'D100', 'D50', 'D30', 'D15', 'D10'] as const;
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];

export const RETENTION_LABELS: Record<RetentionPeriod, string> = {
  Y: '永久',
  D100: '定期100年',
  D50: '定期50年',
  D30: '定期30年',
  D15: '定期15年',
  D10: '定期10年',
};

export const isRetentionPeriod = (value: unknown): value is RetentionPeriod =>
  typeof value === 'string' && (RETENTION_PERIODS as readonly string[]).includes(value);

export function retentionYears(period: RetentionPeriod): number | null {
  return period === 'Y' ? null : Number(period.slice(1));
}

/** The ISO date the retention ends, or null for permanent records. */
export function retentionExpiry(period: RetentionPeriod, yearFormed: number): string | null {
  const years = retentionYears(period);
  return years === null ? null : `${String(yearFormed + 1 + years).padStart(4, '0')}-01-01`;
}

/** Regions a rule can be set for, most specific first: the county, its prefecture, its province. */
export function regionLadder(regionCode: string): string[] {
  const prefecture = `${regionCode.slice(0, 4)}00`;
  const province = `${regionCode.slice(0, 2)}0000`;
  return [...new Set([regionCode, prefecture, province])];
}

export interface RetentionRule {
  categoryId: number;
  regionCode: string;
  retention: RetentionPeriod;
}

/** The period that applies to a category in a region: the most specific override, else the default. */
export function resolveRetention(
  defaultPeriod: RetentionPeriod,
  categoryId: number,
  regionCode: string | null,
  rules: readonly RetentionRule[],
): RetentionPeriod {
  if (!regionCode) return defaultPeriod;
  for (const region of regionLadder(regionCode)) {
    const rule = rules.find(
      (candidate) => candidate.categoryId === categoryId && candidate.regionCode === region,
    );
    if (rule) return rule.retention;
  }
  return defaultPeriod;
}
