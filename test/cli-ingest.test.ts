import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';

// `yidang ingest push` and `yidang ingest lag` end to end with the built binary: a settlement push
// with a scan, its retry, a conflicting push, and the lag table.

let database: TestDatabase | undefined;
let cli: CliEnv;
const SYSTEM = 'settlement.system';
const MANAGER = 'bureau.manager';

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
