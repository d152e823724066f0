import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AutoETS, initSync as initEts } from '@bsull/augurs/ets';
import { MSTL, initSync as initMstl } from '@bsull/augurs/mstl';

// The forecasting methods: two from augurs (Grafana's time-series library, Rust compiled to WASM and
// shipped in the package, so nothing is fetched) and the two baselines every forecast is measured
// against. Each returns the point path and its 80% and 95% prediction intervals.

export const SEASON = 12;
const Z80 = 1.2815515655446004;
const Z95 = 1.959963984540054;

export type Method = 'mstl_ets' | 'ets' | 'drift' | 'seasonal_naive' | 'naive';

export const METHOD_NAMES: Record<Method, string> = {
  mstl_ets: 'MSTL 季节分解 + 自动指数平滑（AutoETS）',
  ets: '自动指数平滑（AutoETS，无季节项，可选阻尼趋势）',
  drift: '漂移法（最近值加历史平均月变化）',
  seasonal_naive: '季节性朴素法（取上年同月值）',
  naive: '朴素法（取最近一个月的值）',
};

export interface Path {
  point: number[];
  lower80: number[];
  upper80: number[];
  lower95: number[];
  upper95: number[];
}

let loaded = false;
/** The WASM modules are compiled once per process, synchronously, from the package's own files. */
function loadAugurs(): void {
  if (loaded) return;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@bsull/augurs/mstl'));
  initMstl({ module: readFileSync(join(dir, 'mstl_bg.wasm')) });
  initEts({ module: readFileSync(join(dir, 'ets_bg.wasm')) });
  loaded = true;
}

interface Predictor {
  predict(
    horizon: number,
    level?: number | null,
  ): {
    point: number[];
    intervals?: { lower: number[]; upper: number[] } | undefined;
  };
  free(): void;
}

function pathOf(model: Predictor, horizon: number): Path {
  try {
    const at80 = model.predict(horizon, 0.8);
    const at95 = model.predict(horizon, 0.95);
    if (!at80.intervals || !at95.intervals) throw new Error('augurs gave no prediction intervals');
    return {
      point: at80.point,
      lower80: at80.intervals.lower,
      upper80: at80.intervals.upper,
      lower95: at95.intervals.lower,
      upper95: at95.intervals.upper,
    };
  } finally {
    model.free();
  }
}

/** Root mean square of residuals (no drift): the one-step spread the baselines' intervals grow from. */
function rms(residuals: readonly number[]): number {
  if (residuals.length === 0) return 0;
  return Math.sqrt(residuals.reduce((sum, r) => sum + r * r, 0) / residuals.length);
}

function baselinePath(point: number[], sd: (step: number) => number): Path {
  const band = (z: number, sign: 1 | -1) => point.map((value, i) => value + sign * z * sd(i + 1));
  return {
    point,
    lower80: band(Z80, -1),
    upper80: band(Z80, 1),
    lower95: band(Z95, -1),
    upper95: band(Z95, 1),
  };
}

/** Seasonal naive: each month repeats the same month of the last year seen; needs one full year. */
export function seasonalNaive(y: readonly number[], horizon: number): Path {
  if (y.length < SEASON) throw new Error('seasonal naive needs a full season');
  const residuals = y.slice(SEASON).map((value, i) => value - (y[i] as number));
  const sigma = rms(residuals);
  const point = Array.from({ length: horizon }, (_, i) => y[y.length - SEASON + (i % SEASON)] as number);
  return baselinePath(point, (step) => sigma * Math.sqrt(Math.floor((step - 1) / SEASON) + 1));
}

/** Naive: the last value carried forward (a random walk's best forecast). */
export function naive(y: readonly number[], horizon: number): Path {
  const residuals = y.slice(1).map((value, i) => value - (y[i] as number));
  const sigma = rms(residuals);
  const last = y[y.length - 1] as number;
  return baselinePath(
    Array.from({ length: horizon }, () => last),
    (step) => sigma * Math.sqrt(step),
  );
}

/** Drift: the last value plus the mean monthly change so far, for series too short for AutoETS. */
export function drift(y: readonly number[], horizon: number): Path {
  const n = y.length;
  const slope = n > 1 ? ((y[n - 1] as number) - (y[0] as number)) / (n - 1) : 0;
  const residuals = y.slice(1).map((value, i) => value - (y[i] as number) - slope);
  const sigma = rms(residuals);
  const last = y[n - 1] as number;
  return baselinePath(
    Array.from({ length: horizon }, (_, i) => last + slope * (i + 1)),
    // The slope's own uncertainty widens the band (Hyndman & Athanasopoulos, 5.5).
    (step) => sigma * Math.sqrt(step * (1 + step / Math.max(1, n - 1))),
  );
}

/** AutoETS needs 8 months (level and trend); below that the drift method stands in. */
export const ETS_MIN_POINTS = 8;

export function fitPredict(method: Method, y: readonly number[], horizon: number): Path {
  if (method === 'seasonal_naive') return seasonalNaive(y, horizon);
  if (method === 'naive') return naive(y, horizon);
  if (method === 'drift') return drift(y, horizon);
  loadAugurs();
  const data = Float64Array.from(y);
  if (method === 'mstl_ets') {
    const model = MSTL.ets([SEASON]);
    model.fit(data);
    return pathOf(model, horizon);
  }
  // Additive errors: counts and amounts may be zero, which multiplicative errors cannot take.
  const model = new AutoETS(1, 'AZN');
  model.fit(data);
  return pathOf(model, horizon);
}
