import { cpuTask } from '../../shared/cpu-pool/task.js';
import { type ForecastReport, forecastSeries, type SeriesPoint } from './forecast.engine.js';

// The forecast and its backtest on a CPU-pool thread: a dozen refits of MSTL take up to a second on
// a long series, which must not stall the server thread (and PGlite's callers) meanwhile.

export interface ForecastInput {
  points: SeriesPoint[];
  horizon: number;
}

export const forecastOnPool = (input: ForecastInput): ForecastReport =>
  forecastSeries(input.points, input.horizon);

export const FORECAST_TASK = cpuTask<ForecastInput, ForecastReport>(
  import.meta.url,
  './forecast.task',
  'forecastOnPool',
  {
    label: '计算趋势预测',
    timeLimitMs: 60_000,
  },
);
