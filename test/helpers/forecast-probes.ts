import { expect } from 'vitest';
import { plantedCount, plantSettlementSeries } from './fund-series.js';
import type { ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 基金月度序列 and 趋势预测. The walk plants 30 months of settlements
// (2023-01 … 2025-06) in 江宁 (320115, the callers' fonds J013) and in 六合 (320116, J014's district).
// A J013 caller holding fund.read gets 江宁's counts only, never 六合's added in; a region outside the
// scope answers exactly like one that does not exist; callers without fund.read are refused.

const api = (path: string) => `/api/v1${path}`;
const planted = new WeakMap<ScopeWorld, Promise<void>>();

const once = (world: ScopeWorld) => {
  let promise = planted.get(world);
  if (!promise) {
    const db = world.system.database.db;
    promise = (async () => {
      await plantSettlementSeries(db, { region: '320115', from: '2023-01', months: 30 });
      await plantSettlementSeries(db, { region: '320116', from: '2023-01', months: 30 });
    })();
    planted.set(world, promise);
  }
  return promise;
};

const get = (path: string) => ({ method: 'GET' as const, url: api(path) });
const mayRead = (world: ScopeWorld, username: string) => username === world.reader.username;
const WINDOW = 'from=2023-01&to=2025-06';

export const FORECAST_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/fund/series': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const mine = await call(get(`/fund/series?${WINDOW}`));
    await call(get(`/fund/series?${WINDOW}&region=32`));
    await sameAsMissing(
      { ...get(`/fund/series?${WINDOW}&region=320116`), id: '320116' },
      { ...get(`/fund/series?${WINDOW}&region=320199`), id: '320199' },
    );
    if (mayRead(world, as.username)) {
      // Not vacuous: 江宁's own count of every month, and nothing of 六合 added in.
      expect(mine.statusCode).toBe(200);
      const points = mine.json().points as Array<{ period: string; settlements: number }>;
      expect(points).toHaveLength(30);
      points.forEach((point, i) => {
        expect(point.settlements).toBe(plantedCount('320115', i));
      });
    } else expect(mine.statusCode).toBe(403);
  },
  'GET /api/v1/forecasts': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const settlements = await call(get('/forecasts?series=settlements&horizon=3'));
    await call(get('/forecasts?series=enrollment&horizon=3'));
    await sameAsMissing(
      { ...get('/forecasts?series=fund_paid&horizon=3&region=320116'), id: '320116' },
      { ...get('/forecasts?series=fund_paid&horizon=3&region=320199'), id: '320199' },
    );
    if (mayRead(world, as.username)) {
      expect(settlements.statusCode).toBe(200);
      const history = settlements.json().history as Array<{ period: string; value: number }>;
      const first = history.find((point) => point.period === '2023-01');
      expect(first?.value).toBe(plantedCount('320115', 0));
      expect(settlements.body).not.toContain('320116');
    } else expect(settlements.statusCode).toBe(403);
  },
  'POST /api/v1/forecasts': async ({ world, as, call }) => {
    const points = Array.from({ length: 12 }, (_, i) => ({
      period: `2024-${String(i + 1).padStart(2, '0')}`,
      value: 10 + i,
    }));
    const given = await call({ method: 'POST', url: api('/forecasts'), body: { horizon: 3, points } });
    if (mayRead(world, as.username)) {
      expect(given.statusCode).toBe(200);
      expect(given.json().forecast).toHaveLength(3);
    } else expect(given.statusCode).toBe(403);
  },
};
