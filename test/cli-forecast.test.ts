// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { FONDS } from './helpers/fixtures.js';
import { plantedCount, plantSettlementSeries } from './helpers/fund-series.js';
import { gbk } from './helpers/gbk.js';
import { J013_SCOPE } from './helpers/scope-fixture.js';

// yidang forecast: a CSV series (UTF-8 or GBK) forecast with its backtest and intervals in a Chinese
// table or JSON; bad files refused with each line's reason; the built-in settlement series of the
// supervisor's own district. Needs dist/.

let database: TestDatabase | undefined;
let cli: CliEnv;
const dir = () => path.join(cli.home, 'series');
const file = (name: string, content: Buffer | string) => {
  fs.mkdirSync(dir(), { recursive: true });
  const at = path.join(dir(), name);
  fs.writeFileSync(at, content);
  return at;
};
const seasonal = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const month = `${2021 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
    return `${month},${(1000 + 10 * i + 200 * Math.sin((2 * Math.PI * i) / 12) + ((i * 7919) % 13) - 6).toFixed(1)}`;
  });

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    await createUser(
      db,
      { username: 'fc.supervisor', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    await createUser(
      db,
      { username: 'fc.clerk', password: CLI_PASSWORD, roles: ['clerk'], scope: J013_SCOPE },
      'test',
    );
    await plantSettlementSeries(db, { region: '320115', from: '2023-01', months: 30 });
    await plantSettlementSeries(db, { region: '320116', from: '2023-01', months: 30 });
  } finally {
    await system.close();
  }
}, 120_000);
afterAll(async () => {
  fs.rmSync(cli?.home ?? '/nonexistent', { recursive: true, force: true });
  await database?.close();
});

it('forecasts a GBK series: the table in Chinese, the backtest against the baselines and both intervals', async () => {
  const at = file('结算笔数.csv', gbk(['月份,结算笔数', ...seasonal(40)].join('\r\n')));
  const result = await run(cli, ['forecast', at, '--horizon', '6']);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('结算笔数.csv：历史 40 个月（2021-01 至 2024-04），预测 6 个月');
  expect(result.stdout).toContain('预测方法：MSTL 季节分解 + 自动指数平滑（AutoETS）');
  expect(result.stdout).toMatch(/月份\s+预测值\s+80% 区间\s+95% 区间/);
  expect(result.stdout).toMatch(/2024-05\s+[\d,.]+\s+[\d,.]+ ～ [\d,.]+\s+[\d,.]+ ～ [\d,.]+/);
  expect(result.stdout).toMatch(/基线：季节性朴素法（取上年同月值）\s+[\d.]+%\s+[\d.]+\s+模型更优/);
  expect(result.stdout).toContain('回测（2023-05 至 2024-04，12 个滚动起点');
});

it('says when a short series gets a simpler model, and prints the same as JSON', async () => {
  const at = file('short.csv', seasonal(18).join('\n'));
  const result = await run(cli, ['forecast', at, '--horizon', '3', '--json']);
  expect(result.code, result.stderr).toBe(0);
  const view = JSON.parse(result.stdout);
  expect(view.tried).toBe('ets');
  expect(view.notes[0]).toContain('少于 24 个月');
  expect(view.forecast).toHaveLength(3);
  expect(view.forecast[0].lower95).toBeLessThanOrEqual(view.forecast[0].lower80);
  expect(view.backtest.baselines.map((b: { method: string }) => b.method)).toEqual([
    'seasonal_naive',
    'naive',
  ]);
});

it('refuses bad files and bad options in Chinese, naming lines and missing months', async () => {
  const bad = await run(cli, [
    'forecast',
    file('bad.csv', '月份,数值\n2024-01,5\n2024-02,五\n2024-03\n2024-04,7\n'),
  ]);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toContain('第 3 行：数值“五”不是数字');
  expect(bad.stderr).toContain('第 4 行：应为两列（月份，数值），此行有 1 列');
  const gap = await run(cli, [
    'forecast',
    file(
      'gap.csv',
      seasonal(13)
        .filter((_, i) => i !== 4 && i !== 5)
        .join('\n'),
    ),
  ]);
  expect(gap.stderr).toContain('序列缺少 2 个月：2021-05；2021-06');
  const short = await run(cli, ['forecast', file('five.csv', seasonal(5).join('\n'))]);
  expect(short.stderr).toContain('至少需要 6 个月');
  const horizon = await run(cli, ['forecast', file('ok.csv', seasonal(12).join('\n')), '--horizon', '37']);
  expect(horizon.code).toBe(1);
  expect(horizon.stderr).toContain('--horizon 应为 1–36 之间的整数');
  const missing = await run(cli, ['forecast', path.join(dir(), 'nothing.csv')]);
  expect(missing.stderr).toContain('找不到文件');
  const neither = await run(cli, ['forecast']);
  expect(neither.stderr).toContain('请给出序列文件，或用 --series 指定内置序列');
});

it('forecasts the settlements of the supervisor’s own district only; a clerk is refused', async () => {
  const as = (user: string, args: string[]) =>
    run(cli, args, { env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined } });
  const result = await as('fc.supervisor', [
    'forecast',
    '--series',
    'settlements',
    '--horizon',
    '3',
    '--json',
  ]);
  expect(result.code, result.stderr).toBe(0);
  const view = JSON.parse(result.stdout);
  expect(view.history.slice(0, 30).map((p: { value: number }) => p.value)).toEqual(
    Array.from({ length: 30 }, (_, i) => plantedCount('320115', i)),
  );
  const table = await as('fc.supervisor', [
    'forecast',
    '--series',
    'fund_paid',
    '--region',
    '320115',
    '--horizon',
    '3',
  ]);
  expect(table.stdout).toContain('基金支出（元），统筹区 320115：历史');
  const outside = await as('fc.supervisor', ['forecast', '--series', 'settlements', '--region', '320116']);
  const absent = await as('fc.supervisor', ['forecast', '--series', 'settlements', '--region', '320199']);
  expect(outside.code).toBe(1);
  expect(outside.stderr.replace('320116', '<区>')).toBe(absent.stderr.replace('320199', '<区>'));
  const clerk = await as('fc.clerk', ['forecast', '--series', 'settlements']);
  expect(clerk.code).toBe(1);
  expect(clerk.stdout).toBe('');
  expect(clerk.stderr).toMatch(/^错误：/);
}, 60_000);
