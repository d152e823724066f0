import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, cliEnv, run, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement, validId, wrongCheckId } from './helpers/fixtures.js';

// The CLI end to end: the built binary, a real data directory (PGlite) or a real PostgreSQL database.

let database: TestDatabase | undefined;
let cli: CliEnv;

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const init = await run(cli, ['init']);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  expect(init.stdout).toContain('已初始化');
  const fonds = await run(cli, [
    'fonds',
    'add',
    '--code',
    'J013',
    '--name',
    '江宁区医疗保障局',
    '--region',
    '320115',
  ]);
  expect(fonds.code).toBe(0);
});
afterAll(() => database?.close());

describe('yidang item', () => {
  it('adds an item from item.json, prints its 档号, shows and lists it', async () => {
    const file = writeJson(cli, 'item.json', reimbursement());
    const added = await run(cli, ['item', 'add', '--file', file]);
    expect(added.code).toBe(0);
    expect(added.stdout.trim()).toBe('J013-JSLX·2024-D30-JSK-0001');

    const shown = await run(cli, ['item', 'show', 'J013-JSLX·2024-D30-JSK-0001']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: '王建国',
      amount: '1234.50',
      createdBy: '测试档案员',
    });

    const table = await run(cli, ['item', 'list', '--category', 'JS', '--year', '2024']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('J013-JSLX·2024-D30-JSK-0001');
    expect(table.stdout).not.toContain(validId());
    expect(table.stdout).toContain(`${validId().slice(0, 6)}********`);

    const json = await run(cli, ['item', 'list', '--json', '--year', '2023']);
    expect(JSON.parse(json.stdout)).toEqual({ items: [], nextCursor: null });
  });

  it('edits with a reason and shows the history', async () => {
    const file = writeJson(cli, 'patch.json', { amount: 88 });
    const updated = await run(cli, [
      'item',
      'update',
      'J013-JSLX·2024-D30-JSK-0001',
      '--file',
      file,
      '--reason',
      '复核更正',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('第 2 版');
    const history = JSON.parse((await run(cli, ['item', 'history', 'J013-JSLX·2024-D30-JSK-0001'])).stdout);
    expect(history.map((version: { reason: string | null }) => version.reason)).toEqual([null, '复核更正']);
  });

  it('exits 1 with a Chinese message for bad input and stores nothing', async () => {
    const broken = writeJson(cli, 'broken.json', '{\n  "title": "x",\n  oops\n}');
    const invalidJson = await run(cli, ['item', 'add', '--file', broken]);
    expect(invalidJson.code).toBe(1);
    expect(invalidJson.stderr).toMatch(/不是有效的 JSON（第 3 行/);

    const wrongId = writeJson(cli, 'wrong.json', [
      reimbursement({ date: '2022-02-02' }),
      reimbursement({ idNumber: wrongCheckId() }),
    ]);
    const rejected = await run(cli, ['item', 'add', '--file', wrongId]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('items[1].idNumber：身份证号校验码错误');
    const list = JSON.parse((await run(cli, ['item', 'list', '--json', '--year', '2022'])).stdout);
    expect(list.items).toHaveLength(0);

    const missing = await run(cli, ['item', 'add', '--file', '/nonexistent/item.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('找不到文件');
    const unknown = await run(cli, ['item', 'show', 'J013-NOPE']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('不存在');
    const badCategory = await run(cli, ['item', 'list', '--category', 'ZZZ']);
    expect(badCategory.code).toBe(1);
    const usage = await run(cli, ['item', 'add']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('缺少必填选项 --file');
  });

  it('says clearly when the configuration or the server is wrong, without printing passwords', async () => {
    const unreachable = await run(cli, ['item', 'list'], {
      env: { DATABASE_URL: 'postgres://archivist:s3cret@127.0.0.1:1/yidang' },
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('无法连接 PostgreSQL（127.0.0.1:1/yidang）');
    expect(unreachable.stderr).not.toContain('s3cret');
    const badPort = await run(cli, ['serve'], { env: { PORT: 'eighty' } });
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain('PORT 必须是');
  });

  it('reads item.json from standard input', async () => {
    const added = await run(cli, ['item', 'add', '--file', '-'], {
      input: JSON.stringify(reimbursement({ date: '2021-07-07' })),
    });
    expect(added.stdout.trim()).toBe('J013-JSLX·2021-D30-JSK-0001');
  });
});

describe('yidang category and retention', () => {
  it('lists the built-in scheme and the retention schedule', async () => {
    const grandchild = await run(cli, [
      'category',
      'add',
      '--code',
      'DYMZTJ',
      '--name',
      '门诊特殊检查',
      '--retention',
      'D10',
      '--parent',
      'DYMZ',
    ]);
    expect(grandchild.code).toBe(0);
    const categories = await run(cli, ['category', 'list']);
    // A third-level category is listed under its parent, indented one level deeper.
    expect(categories.stdout).toMatch(/DYMZ + {2}门诊待遇审核[^\n]*\nDYMZTJ + {4}门诊特殊检查/);
    expect(categories.code).toBe(0);
    for (const name of [
      '参保登记',
      '单位参保登记',
      '门诊慢特病待遇审核',
      '异地就医结算',
      '互联网诊疗档案',
      '医保电子凭证档案',
      '月/季统计报表',
    ]) {
      expect(categories.stdout).toContain(name);
    }
    const set = await run(cli, [
      'retention',
      'set',
      '--category',
      'BA',
      '--region',
      '320000',
      '--period',
      'D15',
      '--reason',
      '人口流动频繁',
    ]);
    expect(set.code).toBe(0);
    const schedule = JSON.parse((await run(cli, ['retention', 'list', '--json'])).stdout);
    const filing = schedule.find((entry: { category: string }) => entry.category === 'BA');
    expect(filing).toMatchObject({
      defaultRetention: 'D10',
      overrides: [{ regionCode: '320000', retention: 'D15' }],
    });
    const refused = await run(cli, ['category', 'delete', 'JSLX']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('只能停用');
  });
});
