import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { forecastSeries, type SeriesPoint } from '../src/modules/forecast/forecast.engine.js';
import { addMonths } from '../src/modules/forecast/forecast.months.js';
import { builtInSeries } from '../src/modules/forecast/forecast.service.js';
import { loadRosterDemo } from '../src/modules/demo/roster.js';
import { systemContext } from '../src/shared/access-context.js';
import { openSystem } from '../src/system/system.js';

// 趋势预测's backtests, series by series (issue 27): the MASE of the forecasting procedure over
// rolling origins (last max(h, 12) months, h = 12) beside the MASE of the seasonal-naive and naive
// baselines on the same points, and the time the whole backtest and forecast took. Known synthetic
// series (seasonal, multiplicative, stepped, a random walk, a short one), then the built-in enrollment
// series of a 3,000-person demo roster on PGlite. The settlement generator (fund/generate.ts) is left
// out: it front-loads its window (most settlements in the first months), which makes no monthly
// series worth forecasting. `npx tsx bench/forecast.bench.ts`.

const HORIZON = 12;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const next = random(27);
const noise = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
const series = (values: number[], start = '2021-01'): SeriesPoint[] =>
  values.map((value, i) => ({ period: addMonths(start, i), value }));
const wave = (i: number) => Math.sin((2 * Math.PI * i) / 12);

function randomWalk(length: number): number[] {
  const walk = [500];
  for (let i = 1; i < length; i++) walk.push((walk[i - 1] as number) + 10 * noise());
  return walk;
}

const SYNTHETIC: Array<[string, SeriesPoint[]]> = [
  [
    '季节 + 趋势 + 噪声（60 个月）',
    series(Array.from({ length: 60 }, (_, i) => 2000 + 8 * i + 300 * wave(i) + 40 * noise())),
  ],
  [
    '乘性季节、增长（72 个月）',
    series(
      Array.from({ length: 72 }, (_, i) => (1e6 + 12e3 * i) * (1 + 0.2 * wave(i)) * (1 + 0.03 * noise())),
    ),
  ],
  [
    '年初集中参保的阶梯增长（48 个月）',
    series(
      Array.from(
        { length: 48 },
        (_, i) => 50000 + 4000 * Math.floor(i / 12) + (i % 12 === 0 ? 0 : 300) + 50 * noise(),
      ),
    ),
  ],
  ['随机游走（48 个月）', series(randomWalk(48))],
  ['短序列：趋势 + 噪声（18 个月）', series(Array.from({ length: 18 }, (_, i) => 300 + 4 * i + 5 * noise()))],
];

const fmt = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : value.toFixed(3);

function report(name: string, points: SeriesPoint[]): void {
  const started = performance.now();
  const result = forecastSeries(points, HORIZON);
  const ms = performance.now() - started;
  const base = (method: string) => result.backtest.baselines.find((b) => b.method === method);
  console.log(
    `| ${name} | ${points.length} | ${result.tried}${result.fellBack ? ` → ${result.method}` : ''} | ${fmt(result.backtest.model.mase)} | ${fmt(base('seasonal_naive')?.mase)} (${base('seasonal_naive')?.verdict ?? '—'}) | ${fmt(base('naive')?.mase)} (${base('naive')?.verdict}) | ${result.backtest.model.mape?.toFixed(1) ?? '—'}% | ${ms.toFixed(0)} ms |`,
  );
}

console.log(
  `forecast backtests, horizon ${HORIZON}; model MASE beside the baselines' (verdict of the model against each)`,
);
console.log(
  '| series | months | model (→ fallback) | MASE model | MASE seasonal naive | MASE naive | MAPE model | time |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, points] of SYNTHETIC) report(name, points);

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-forecast-'));
const system = await openSystem(loadConfig({ YIDANG_HOME: home, YIDANG_CPU_WORKERS: '1' }), {
  initialize: true,
});
try {
  const db = system.database.db;
  const access = systemContext('fixture', 'bench');
  const started = performance.now();
  await loadRosterDemo(
    db,
    {
      people: 3000,
      seed: 'forecast-bench',
      regionCode: '320115',
      referenceDate: new Date('2025-06-30T12:00:00+08:00'),
    },
    'bench',
  );
  console.log(
    `\n(a 3,000-person demo roster loaded in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  const now = new Date('2025-07-15T12:00:00+08:00');
  const found = await builtInSeries(db, access, { series: 'enrollment', now });
  report('参保人数（演示名册，内置序列）', found.points);
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
}
