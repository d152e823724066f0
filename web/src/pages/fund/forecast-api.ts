import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';

// The 趋势预测 calls the console makes (/api/v1/forecasts).

export type Forecast = ResponseOf<'/api/v1/forecasts', 'get'>;

export const SERIES = [
  { value: 'settlements', label: '结算笔数' },
  { value: 'fund_paid', label: '基金支出（元）' },
  { value: 'enrollment', label: '参保人数（月末在保）' },
] as const;

export const forecastBuiltIn = (query: { series: string; region?: string; horizon: number }) =>
  unwrap(api.GET('/api/v1/forecasts', { params: { query } }));

/** A CSV file chosen by the user, sent as its bytes (so a GBK file is read as the CLI reads it). */
export async function forecastFile(file: File, horizon: number): Promise<Forecast> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let at = 0; at < bytes.length; at += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return unwrap(
    api.POST('/api/v1/forecasts', { body: { horizon, name: file.name, csvBase64: btoa(binary) } }),
  );
}
