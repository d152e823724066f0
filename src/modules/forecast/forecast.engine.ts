import { invalid } from '../../shared/errors.js';
import { addMonths, monthIndex } from './forecast.months.js';
import {
  ETS_MIN_POINTS,
  fitPredict,
  METHOD_NAMES,
  type Method,
  type Path,
  SEASON,
} from './forecast.models.js';

// One forecast of a monthly series, with its rolling-origin backtest. The forecasting procedure
// (MSTL + AutoETS from 24 months, two full years; AutoETS without a season below that) is refitted at
// every origin of the last max(horizon, 12) months and scored against the seasonal-naive and naive
// baselines on exactly the same points. When a baseline does better, the forecast is the baseline's,
// and the report says so.

export const MIN_POINTS = 6;
export const SEASONAL_MIN_POINTS = 24;
export const MAX_HORIZON = 36;
/** Backtest origins: the last max(horizon, BACKTEST_MIN) months where the data allow. */
const BACKTEST_MIN = 12;
/** Within 2% of a baseline's mean absolute error counts as matching it, neither better nor worse. */
const TIE = 0.02;

export interface SeriesPoint {
  period: string;
  value: number;
}

export interface ForecastPoint {
  period: string;
  value: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
}

export type Verdict = 'better' | 'similar' | 'worse';

export interface Score {
  method: Method;
  name: string;
  /** Percent; null when every actual value was 0. */
  mape: number | null;
  /** Null when the in-sample seasonal (or monthly) differences are all 0. */
  mase: number | null;
  mae: number;
}

export interface BaselineScore extends Score {
  /** How the forecasting procedure did against this baseline. */
  verdict: Verdict;
}

export interface Backtest {
  /** Forecast origins (months), the first and last month forecast from them, and the errors scored. */
  origins: number;
  from: string;
  to: string;
  errors: number;
  model: Score;
  baselines: BaselineScore[];
}

export interface ForecastReport {
  points: number;
  horizon: number;
  /** The method tried (the procedure for this length of series) and the one whose forecast is shown. */
  tried: Method;
  method: Method;
  methodName: string;
  fellBack: boolean;
  /** What the reader must know, in Chinese: a simpler model, the baseline comparison, a fallback. */
  notes: string[];
  history: SeriesPoint[];
  forecast: ForecastPoint[];
  backtest: Backtest;
}

const procedureFor = (length: number): Method =>
  length >= SEASONAL_MIN_POINTS ? 'mstl_ets' : length >= ETS_MIN_POINTS ? 'ets' : 'drift';

/** The procedure's forecast; if the library cannot fit the data (a constant series, say), drift stands in. */
function procedurePath(y: readonly number[], horizon: number, failures: string[]): Path {
  const method = procedureFor(y.length);
  try {
    return fitPredict(method, y, horizon);
  } catch (error) {
    failures.push(`${METHOD_NAMES[method]}：${error instanceof Error ? error.message : String(error)}`);
    return fitPredict('drift', y, horizon);
  }
}

/** Checks a series for forecasting: enough consecutive months with finite values. */
export function checkSeries(series: readonly SeriesPoint[]): void {
  if (series.length < MIN_POINTS)
    throw invalid(
      'FORECAST_TOO_SHORT',
      `序列只有 ${series.length} 个月，至少需要 ${MIN_POINTS} 个月才能预测`,
    );
  for (let i = 0; i < series.length; i++) {
    const point = series[i] as SeriesPoint;
    if (!Number.isFinite(point.value))
      throw invalid('FORECAST_SERIES_INVALID', `${point.period} 的数值不是有限数`);
    if (i > 0 && monthIndex(point.period) !== monthIndex((series[i - 1] as SeriesPoint).period) + 1)
      throw invalid(
        'FORECAST_MONTHS_MISSING',
        `序列不是连续的月份：${(series[i - 1] as SeriesPoint).period} 之后是 ${point.period}`,
      );
  }
}

export function checkHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > MAX_HORIZON)
    throw invalid('FORECAST_HORIZON', `预测期数应为 1 到 ${MAX_HORIZON} 之间的整数（月）`);
}

/** Mean absolute difference at `lag` over the training months: MASE's scale. */
function scaleOf(train: readonly number[], level: number): number | null {
  for (const lag of train.length > SEASON ? [SEASON, 1] : [1]) {
    let sum = 0;
    for (let i = lag; i < train.length; i++)
      sum += Math.abs((train[i] as number) - (train[i - lag] as number));
    const scale = sum / (train.length - lag);
    // Rounding leaves a periodic series' seasonal differences at 1e-13, not 0: that is no scale.
    if (scale > 1e-9 * level) return scale;
  }
  return null;
}

interface Errors {
  absolute: number[];
  percent: number[];
  /** Mean absolute error per origin: the paired comparison's sample. */
  perOrigin: number[];
}

function scoreOf(method: Method, errors: Errors, scale: number | null): Score {
  const mae = errors.absolute.reduce((a, b) => a + b, 0) / errors.absolute.length;
  const mape = errors.percent.length
    ? (errors.percent.reduce((a, b) => a + b, 0) / errors.percent.length) * 100
    : null;
  return { method, name: METHOD_NAMES[method], mape, mase: scale === null ? null : mae / scale, mae };
}

/** One-sided 5% point of the normal: a difference smaller than this many standard errors is a tie. */
const SIGNIFICANT = 1.645;

/**
 * Better or worse only when the difference in absolute error, paired origin by origin, is larger than
 * noise (a Diebold–Mariano style test with the origins as the sample) and than TIE of the baseline's
 * error: over a dozen origins a random walk can "beat" naive by luck, and that is not a win.
 */
function verdictOf(model: readonly number[], baseline: readonly number[], level: number): Verdict {
  const d = model.map((value, i) => value - (baseline[i] as number));
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const baselineMae = baseline.reduce((a, b) => a + b, 0) / baseline.length;
  if (Math.abs(mean) <= Math.max(TIE * baselineMae, 1e-9 * level)) return 'similar';
  const variance = d.length > 1 ? d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1) : 0;
  const error = Math.sqrt(variance / d.length);
  if (error > 0 && Math.abs(mean) < SIGNIFICANT * error) return 'similar';
  return mean < 0 ? 'better' : 'worse';
}

/** Runs the procedure and the baselines from each origin; scores all on the same points. */
function backtest(
  y: readonly number[],
  periods: readonly string[],
  horizon: number,
  failures: string[],
): Backtest {
  const n = y.length;
  const seasonal = n - SEASON >= 3;
  const minTrain = seasonal ? SEASON : Math.max(3, n - BACKTEST_MIN);
  const window = Math.min(Math.max(horizon, BACKTEST_MIN), n - minTrain);
  const first = n - window;
  const baselineMethods: Method[] = seasonal ? ['seasonal_naive', 'naive'] : ['naive'];
  const keys: Array<Method | 'model'> = ['model', ...baselineMethods];
  const errors = new Map(keys.map((key) => [key, { absolute: [], percent: [], perOrigin: [] } as Errors]));
  for (let origin = first; origin < n; origin++) {
    const train = y.slice(0, origin);
    const steps = Math.min(horizon, n - origin);
    for (const key of keys) {
      const path = (key === 'model' ? procedurePath(train, steps, failures) : fitPredict(key, train, steps))
        .point;
      const bucket = errors.get(key) as Errors;
      let sum = 0;
      for (let k = 0; k < steps; k++) {
        const actual = y[origin + k] as number;
        const error = Math.abs(actual - (path[k] as number));
        bucket.absolute.push(error);
        sum += error;
        if (actual !== 0) bucket.percent.push(error / Math.abs(actual));
      }
      bucket.perOrigin.push(sum / steps);
    }
  }
  const level = y.reduce((a, b) => a + Math.abs(b), 0) / n || 1;
  const scale = scaleOf(y.slice(0, first), level);
  const modelErrors = errors.get('model') as Errors;
  const model = scoreOf(procedureFor(n), modelErrors, scale);
  const baselines = baselineMethods.map((method) => {
    const baselineErrors = errors.get(method) as Errors;
    const score = scoreOf(method, baselineErrors, scale);
    return { ...score, verdict: verdictOf(modelErrors.perOrigin, baselineErrors.perOrigin, level) };
  });
  return {
    origins: window,
    from: periods[first] as string,
    to: periods[n - 1] as string,
    errors: modelErrors.absolute.length,
    model,
    baselines,
  };
}

const VERDICT_WORDS: Record<Verdict, string> = {
  better: '优于',
  similar: '与之相当（差异不显著，未能胜过）',
  worse: '不如',
};

const fmt = (value: number | null, digits = 3) => (value === null ? '无定义' : value.toFixed(digits));

export function forecastSeries(series: readonly SeriesPoint[], horizon: number): ForecastReport {
  checkSeries(series);
  checkHorizon(horizon);
  const y = series.map((point) => point.value);
  const periods = series.map((point) => point.period);
  const tried = procedureFor(y.length);
  const notes: string[] = [];
  if (tried !== 'mstl_ets')
    notes.push(
      `序列只有 ${y.length} 个月，少于 ${SEASONAL_MIN_POINTS} 个月（两个完整年度），无法可靠估计季节性，改用较简单的模型：${METHOD_NAMES[tried]}。`,
    );
  const failures: string[] = [];
  const test = backtest(y, periods, horizon, failures);
  notes.push(
    `回测：自 ${test.from} 至 ${test.to} 滚动 ${test.origins} 个预测起点，共 ${test.errors} 个误差；模型 MAPE ${fmt(test.model.mape, 1)}%，MASE ${fmt(test.model.mase)}。`,
  );
  const early = test.origins - Math.max(0, y.length - SEASONAL_MIN_POINTS);
  if (tried === 'mstl_ets' && early > 0)
    notes.push(
      `回测的前 ${early} 个起点之前不足 ${SEASONAL_MIN_POINTS} 个月，这些起点只能用较简单的模型（${METHOD_NAMES.ets}），回测误差因此偏保守。`,
    );
  const seasonalBaseline = test.baselines.find((b) => b.method === 'seasonal_naive');
  if (!seasonalBaseline)
    notes.push(`序列不足 ${SEASON + 3} 个月，无法用季节性朴素法作基线，只与朴素法比较。`);
  for (const baseline of test.baselines)
    notes.push(
      `与基线“${baseline.name}”相比（MAPE ${fmt(baseline.mape, 1)}%，MASE ${fmt(baseline.mase)}），模型${VERDICT_WORDS[baseline.verdict]}基线。`,
    );
  // The forecast shown: the model's, unless a baseline did clearly better in the same backtest.
  const worse = test.baselines.filter((b) => b.verdict === 'worse').sort((a, b) => a.mae - b.mae);
  const fellBack = worse.length > 0;
  const method: Method = fellBack ? (worse[0] as BaselineScore).method : tried;
  if (fellBack) notes.push(`模型在回测中不如“${METHOD_NAMES[method]}”，下面的预测改用该基线方法。`);
  else if (seasonalBaseline && seasonalBaseline.verdict !== 'better')
    notes.push('模型未能胜过季节性朴素基线，预测仅供参考。');
  const path = method === tried ? procedurePath(y, horizon, failures) : fitPredict(method, y, horizon);
  if (failures.length)
    notes.push(
      `时间序列库未能拟合部分数据（${failures.length} 次，如：${failures[0]}），这些时点改用${METHOD_NAMES.drift}。`,
    );
  return {
    points: y.length,
    horizon,
    tried,
    method,
    methodName: METHOD_NAMES[method],
    fellBack,
    notes,
    history: series.map((point) => ({ ...point })),
    forecast: pointsOf(
      path,
      periods[periods.length - 1] as string,
      y.every((v) => v >= 0),
    ),
    backtest: test,
  };
}

/** The forecast months; a series never below zero (counts, amounts) is not forecast below zero. */
function pointsOf(path: Path, last: string, nonNegative: boolean): ForecastPoint[] {
  const floor = (value: number) => (nonNegative ? Math.max(0, value) : value);
  return path.point.map((value, i) => ({
    period: addMonths(last, i + 1),
    value: floor(value),
    lower80: floor(path.lower80[i] as number),
    upper80: floor(path.upper80[i] as number),
    lower95: floor(path.lower95[i] as number),
    upper95: floor(path.upper95[i] as number),
  }));
}
