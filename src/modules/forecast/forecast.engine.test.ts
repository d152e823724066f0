import { describe, expect, it } from 'vitest';
import { forecastSeries, type SeriesPoint } from './forecast.engine.js';
import { addMonths } from './forecast.months.js';

// Known series: what the forecast must find in them, and what it must admit it cannot.

/** A fixed-seed generator, so a failing series can be reproduced. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

const series = (values: number[], start = '2020-01'): SeriesPoint[] =>
  values.map((value, i) => ({ period: addMonths(start, i), value }));

const seasonal = (i: number) =>
  1000 + 200 * Math.sin((2 * Math.PI * i) / 12) + 80 * Math.cos((4 * Math.PI * i) / 12);

describe('a seasonal series', () => {
  const next = random(7);
  const values = Array.from({ length: 60 }, (_, i) => seasonal(i) + 2 * i + 5 * gaussian(next));
  const report = forecastSeries(series(values.slice(0, 48)), 12);

  it('is forecast with the seasonal model within a small error of what came next', () => {
    expect(report.tried).toBe('mstl_ets');
    expect(report.method).toBe('mstl_ets');
    expect(report.fellBack).toBe(false);
    const actual = values.slice(48);
    const mape =
      report.forecast.reduce(
        (sum, point, i) => sum + Math.abs(point.value - (actual[i] as number)) / (actual[i] as number),
        0,
      ) / 12;
    expect(mape).toBeLessThan(0.03);
    expect(report.forecast.map((point) => point.period)).toEqual(
      series(actual, '2024-01').map((p) => p.period),
    );
  });

  it('is backtested over the last 12 months and does no worse than seasonal naive', () => {
    expect(report.backtest.origins).toBe(12);
    expect(report.backtest.from).toBe('2023-01');
    expect(report.backtest.errors).toBe((12 * 13) / 2);
    const seasonalNaive = report.backtest.baselines.find((b) => b.method === 'seasonal_naive');
    expect(seasonalNaive?.verdict).not.toBe('worse');
    expect(report.backtest.model.mase).toBeLessThan(1);
    expect(report.backtest.model.mape).toBeLessThan(3);
  });

  it('gives nested 80% and 95% intervals around the forecast', () => {
    for (const point of report.forecast) {
      expect(point.lower95).toBeLessThanOrEqual(point.lower80);
      expect(point.lower80).toBeLessThanOrEqual(point.value);
      expect(point.value).toBeLessThanOrEqual(point.upper80);
      expect(point.upper80).toBeLessThanOrEqual(point.upper95);
    }
    expect(report.forecast[0]?.upper95).toBeGreaterThan(report.forecast[0]?.lower95 as number);
  });

  it('a purely periodic series (no noise) is forecast exactly, by seasonal naive when that is exact', () => {
    const periodic = forecastSeries(series(Array.from({ length: 36 }, (_, i) => seasonal(i))), 12);
    periodic.forecast.forEach((point, i) => {
      expect(point.value).toBeCloseTo(seasonal(36 + i), 0);
    });
    const baseline = periodic.backtest.baselines.find((b) => b.method === 'seasonal_naive');
    expect(baseline?.mae).toBeLessThan(1e-6);
    // Seasonal naive is exact here and the model only nearly so: the forecast is the baseline's, said so.
    expect(periodic.method).toBe('seasonal_naive');
    expect(periodic.notes.join('')).toContain('下面的预测改用该基线方法');
    // Seasonal differences are all 0, so MASE is scaled by the monthly differences instead.
    expect(periodic.backtest.model.mase).toBeLessThan(0.01);
  });
});

describe('a random walk', () => {
  it('is said not to beat the naive baseline (it matches it or falls back to it)', () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const values: number[] = [500];
      for (let i = 1; i < 48; i++) values.push((values[i - 1] as number) + 10 * gaussian(next));
      const report = forecastSeries(series(values), 6);
      const naive = report.backtest.baselines.find((b) => b.method === 'naive');
      expect(naive?.verdict).not.toBe('better');
      const words = report.notes.join('');
      expect(words).toMatch(
        /朴素法（取最近一个月的值）”相比（MAPE [\d.]+%，MASE [\d.]+），模型(与之相当（差异不显著，未能胜过）|不如)基线/,
      );
      if (report.fellBack) {
        expect(words).toContain('下面的预测改用该基线方法');
        expect(report.method === 'naive' || report.method === 'seasonal_naive').toBe(true);
      }
    }
  });
});

describe('a short series', () => {
  it('18 months: a simpler model without a season, and it says so', () => {
    const next = random(11);
    const values = Array.from({ length: 18 }, (_, i) => 300 + 4 * i + 3 * gaussian(next));
    const report = forecastSeries(series(values), 6);
    expect(report.tried).toBe('ets');
    expect(report.notes[0]).toContain('少于 24 个月');
    expect(report.notes[0]).toContain('较简单的模型');
    expect(report.backtest.baselines.map((b) => b.method)).toEqual(['seasonal_naive', 'naive']);
    expect(report.backtest.origins).toBe(6);
    expect(report.forecast).toHaveLength(6);
  });

  it('8 months: no seasonal baseline, and it says that too', () => {
    const report = forecastSeries(series([5, 6, 7, 8, 9, 10, 11, 12]), 3);
    expect(report.backtest.baselines.map((b) => b.method)).toEqual(['naive']);
    expect(report.notes.join('')).toContain('无法用季节性朴素法作基线');
    // A steady trend: the trend model beats carrying the last value forward.
    expect(report.tried).toBe('ets');
    expect(report.method).toBe('ets');
    expect(report.backtest.baselines[0]?.verdict).toBe('better');
    expect(report.forecast[0]?.value).toBeCloseTo(13, 0);
  });

  it('refuses fewer than 6 months, gaps and horizons out of range with their codes', () => {
    expect(() => forecastSeries(series([1, 2, 3, 4, 5]), 3)).toThrow(
      expect.objectContaining({ code: 'FORECAST_TOO_SHORT' }),
    );
    const gap = series([1, 2, 3, 4, 5, 6, 7]);
    (gap[3] as SeriesPoint).period = '2021-01';
    expect(() => forecastSeries(gap, 3)).toThrow(
      expect.objectContaining({ code: 'FORECAST_MONTHS_MISSING' }),
    );
    expect(() => forecastSeries(series([1, 2, 3, 4, 5, 6]), 0)).toThrow(
      expect.objectContaining({ code: 'FORECAST_HORIZON' }),
    );
    expect(() => forecastSeries(series([1, 2, 3, 4, 5, 6]), 37)).toThrow(
      expect.objectContaining({ code: 'FORECAST_HORIZON' }),
    );
  });

  it('6 months: the drift method, said so; a constant series is forecast flat', () => {
    const report = forecastSeries(series([10, 12, 14, 16, 18, 20]), 2);
    expect(report.tried).toBe('drift');
    expect(report.notes[0]).toContain('漂移法');
    expect(report.forecast.map((p) => p.value)).toEqual([22, 24]);
    const flat = forecastSeries(series(Array.from({ length: 30 }, () => 50)), 3);
    for (const point of flat.forecast) expect(point.value).toBeCloseTo(50, 6);
  });

  it('30 months: the seasonal model from 24 months on, the simpler one at earlier origins', () => {
    const values = Array.from({ length: 30 }, (_, i) => seasonal(i) + i);
    const report = forecastSeries(series(values), 12);
    expect(report.tried).toBe('mstl_ets');
    expect(report.backtest.origins).toBe(12);
    expect(report.backtest.from).toBe('2021-07');
    expect(report.notes.join('')).toContain('回测的前 6 个起点之前不足 24 个月');
    expect(report.forecast).toHaveLength(12);
  });

  it('never forecasts a count below zero', () => {
    const report = forecastSeries(series([9, 7, 5, 3, 2, 1, 0, 0]), 6);
    for (const point of report.forecast) expect(point.lower95).toBeGreaterThanOrEqual(0);
  });
});
