// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement, validId, wrongCheckId } from './helpers/fixtures.js';

// `yidang ingest push` and `yidang ingest lag` end to end with the built binary: a settlement push
// with a scan, its retry, a conflicting push, and the lag table.

let database: TestDatabase | undefined;
let cli: CliEnv;
const SYSTEM = 'settlement.system';
const MANAGER = 'bureau.manager';
const ARCHIVIST = 'bureau.archivist';

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const push = (metadata: string, serial: string, ...extra: string[]) =>
  run(cli, [
    'ingest',
    'push',
    metadata,
    '--source',
    '结算系统',
    '--serial',
    serial,
    ...extra,
    '--user',
    SYSTEM,
  ]);

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  cli.env.YIDANG_PASSWORD = CLI_PASSWORD;
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  await addUser(cli, ['clerk'], { username: SYSTEM });
  await addUser(cli, ['manager'], { username: MANAGER });
  await addUser(cli, ['archivist'], { username: ARCHIVIST });
}, 180_000);
afterAll(() => database?.close());

describe('yidang ingest', { timeout: 180_000 }, () => {
  it('pushes an archive with its file once, returns the same 档号 on a retry, refuses a changed one', async () => {
    const metadata = writeJson(
      cli,
      'push.json',
      reimbursement({ handledAt: new Date(Date.now() - 3 * 3600_000).toISOString() }),
    );
    const scan = path.join(cli.home, '结算单.pdf');
    fs.writeFileSync(scan, '%PDF-1.4\n% 结算单\n');
    const first = ok(await push(metadata, 'CLI-0001', '--file', scan)).trim();
    expect(first).toMatch(/^J013-JSLX·\d{4}-D30-JSK-\d{4}$/);
    const retry = await push(metadata, 'CLI-0001', '--file', scan);
    expect(ok(retry).trim()).toBe(first);
    expect(retry.stderr).toContain('此前已归档');
    const files = JSON.parse(
      ok(await run(cli, ['file', 'list', first, '--json', '--user', SYSTEM])),
    ) as unknown[];
    expect(files).toHaveLength(1);
    const changed = writeJson(cli, 'changed.json', reimbursement({ amount: '1.00' }));
    const refused = await push(changed, 'CLI-0001');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('业务流水号“CLI-0001”');
  });

  it('reports the lag by source to a manager', async () => {
    const table = await run(cli, ['ingest', 'lag', '--user', MANAGER]);
    expect(ok(table)).toContain('结算系统');
    const report = JSON.parse(ok(await run(cli, ['ingest', 'lag', '--json', '--user', MANAGER]))) as {
      overall: { count: number; medianSeconds: number };
    };
    expect(report.overall.count).toBe(1);
    expect(report.overall.medianSeconds).toBeGreaterThan(3 * 3600 - 120);
    const bad = await run(cli, ['ingest', 'lag', '--from', 'yesterday', '--user', MANAGER]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from');
  });
});

describe('yidang import', { timeout: 180_000 }, () => {
  const header = '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital';
  const line = (name: string, id: string) =>
    `J013,JSLX,JSK,${name} 门诊费用报销审核表,2024-04-01,江宁区医保局,${name},${id},50,江宁医院`;

  it('files the valid rows, writes the XLSX report, exits 1 naming the refused row, and re-runs safely', async () => {
    const file = path.join(cli.home, '报销台账.csv');
    fs.writeFileSync(
      file,
      [
        header,
        line('周一', validId('32011519900101001')),
        line('吴二', wrongCheckId('32011519900101002')),
        line('郑三', validId('32011519900101003')),
      ].join('\n'),
    );
    const first = await run(cli, ['import', file, '--user', SYSTEM]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('第 3 行 未通过：身份证号');
    expect(first.stderr).toContain('共 3 行：已归档 2，未通过 1');
    const report = path.join(cli.home, '报销台账.导入报告.xlsx');
    expect(fs.readFileSync(report).subarray(0, 2).toString('latin1')).toBe('PK');
    const again = await run(cli, ['import', file, '--json', '--user', SYSTEM]);
    const result = JSON.parse(again.stdout) as { filed: number; skipped: number; rejected: number };
    expect(result).toMatchObject({ filed: 0, skipped: 2, rejected: 1 });
  });

  it('saves a mapping under a name and uses it by name', async () => {
    const mapping = writeJson(cli, 'mapping.json', {
      columns: { 标题: 'title', 证件号: 'idNumber', 医院: 'extra.hospital' },
      defaults: {
        fonds: 'J013',
        category: 'JSLX',
        org: 'JSK',
        date: '2024-05-01',
        responsible: '江宁区医保局',
      },
    });
    const file = path.join(cli.home, 'other.csv');
    fs.writeFileSync(
      file,
      `标题,证件号,医院,姓名,金额\n冯四 住院结算单,${validId('32011519900101004')},江宁医院,冯四,10\n`,
    );
    ok(await run(cli, ['import', file, '--mapping', mapping, '--save-mapping', '扶贫办', '--user', SYSTEM]));
    const file2 = path.join(cli.home, 'other2.csv');
    fs.writeFileSync(
      file2,
      `标题,证件号,医院,姓名,金额\n陈五 住院结算单,${validId('32011519900101005')},江宁医院,陈五,10\n`,
    );
    const named = await run(cli, ['import', file2, '--mapping', '扶贫办', '--user', SYSTEM]);
    expect(ok(named)).toBe('');
    expect(named.stderr).toContain('已归档 1');
    const unknown = await run(cli, ['import', file2, '--mapping', '民政局', '--user', SYSTEM]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('没有名为“民政局”的列映射');
  });
});

describe('yidang duplicates', { timeout: 180_000 }, () => {
  it('lists a duplicate side by side with the differing field marked, and resolves it once', async () => {
    const header =
      '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital,参保号,业务类型,办理时间';
    const line = (amount: string, at: string) =>
      `J013,JSLX,JSK,重复 报销审核表,2024-06-01,江宁区医保局,王建国,${validId('32011519850312123')},${amount},江宁医院,3201150000009,零星报销,${at}`;
    const file = path.join(cli.home, 'dup.csv');
    fs.writeFileSync(
      file,
      [header, line('10', '2024-06-01T09:00:00+08:00'), line('12', '2024-06-02T09:00:00+08:00')].join('\n'),
    );
    ok(await run(cli, ['import', file, '--user', SYSTEM]));
    const listed = ok(await run(cli, ['duplicates', 'list', '--user', SYSTEM]));
    expect(listed).toContain('同一业务');
    expect(listed).toContain('*金额');
    expect(listed).not.toContain('320115198503121236');
    const [pair] = JSON.parse(
      ok(await run(cli, ['duplicates', 'list', '--json', '--user', SYSTEM])),
    ) as Array<{ flag: { id: number } }>;
    const resolve = () =>
      run(cli, [
        'duplicates',
        'resolve',
        String(pair?.flag.id),
        '--keep-both',
        '--reason',
        '两次不同的报销',
        '--user',
        ARCHIVIST,
      ]);
    ok(await resolve());
    const again = await resolve();
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('已处理');
    const kept = JSON.parse(
      ok(await run(cli, ['duplicates', 'list', '--status', 'kept', '--json', '--user', SYSTEM])),
    ) as unknown[];
    expect(kept).toHaveLength(1);
  });
});
