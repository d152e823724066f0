import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { beijingText } from '../../app/time';

export type Overview = ResponseOf<'/api/v1/stats/overview', 'get'>;
export type ArchiveOverview = NonNullable<Overview['archive']>;

export const loadOverview = (): Promise<Overview> => unwrap(api.GET('/api/v1/stats/overview'));

/** 12.3% — or 无 when there is nothing to divide by. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '无';
  return `${(rate * 100).toFixed(1)}%`;
}

export const dateTime = (value: string | null | undefined) => beijingText(value);
