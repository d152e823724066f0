// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../src/modules/check/check.report.js';
import { clamscanAvailable } from '../src/modules/check/check.virus.js';
import { eicarDatabase, jpeg, pdf } from './helpers/check-files.js';
import { addUser, CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';

// `yidang check` end to end with the built binary: exit 0 for an item that passes, 1 for one that
// fails, the XLSX report written and readable, a kept report fetched again by its number.

let database: TestDatabase | undefined;
let cli: CliEnv;
let clamav: { dir: string; database: string } | undefined;
const ARCHIVIST = 'check.archivist';
const OUTSIDER = 'other.archivist';

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function itemWithFile(name: string, content: Buffer): Promise<string> {
  const code = ok(
    await run(cli, [
      'item',
      'add',
      '--file',
      writeJson(cli, `${name}.json`, reimbursement()),
      '--user',
      ARCHIVIST,
    ]),
  ).trim();
  const file = path.join(cli.home, name);
  fs.writeFileSync(file, content);
  ok(await run(cli, ['file', 'add', code, file, '--user', ARCHIVIST]));
  return code;
}

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  cli.env.YIDANG_PASSWORD = CLI_PASSWORD;
  if (clamscanAvailable()) {
    clamav = eicarDatabase();
    cli.env.YIDANG_CLAMAV_DATABASE = clamav.database;
  }
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J014', '--name', '六合区医疗保障局', '--region', '320116']));
  await addUser(cli, ['archivist'], { username: ARCHIVIST });
  await addUser(cli, ['archivist'], { username: OUTSIDER, scope: ['J014/*/*'] });
}, 180_000);
afterAll(async () => {
  await database?.close();
  if (clamav) fs.rmSync(clamav.dir, { recursive: true, force: true });
});

describe('yidang check', { timeout: 180_000 }, () => {
  it('passes a clean item (exit 0), prints the table and writes a readable XLSX report', async () => {
    const code = await itemWithFile('报销单.pdf', await pdf(2));
    const report = path.join(cli.home, '检测报告.xlsx');
    const result = await run(cli, ['check', '--item', code, '--report', report, '--user', ARCHIVIST]);
    expect(ok(result)).toContain(`档号 ${code}：通过`);
    expect(result.stdout).toMatch(/真实性\s+摘要值校验\s+通过/);
    expect(result.stdout).toMatch(/安全性\s+无未经记录的改动\s+通过/);
    expect(result.stderr).toContain('全部 1 件通过四性检测');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(report);
    const summary = workbook.getWorksheet('汇总');
    expect(summary?.getCell('B4').value).toBe(`单件 ${code}`);
    const rows = workbook.getWorksheet('逐项结果')?.getSheetValues().filter(Boolean) as unknown[][];
    expect(rows).toHaveLength(12);
    expect(rows.slice(1).map((row) => row[4])).not.toContain('不通过');
    if (clamav) {
      const json = JSON.parse(
        ok(await run(cli, ['check', '--item', code, '--json', '--user', ARCHIVIST])),
      ) as CheckReport;
      expect(json.items[0]?.checks.find((check) => check.id === 'virus_scan')?.detail).toContain(
        '未发现病毒',
      );
    }
  });

  it('exits 1 for an item with a truncated scan, and fetches the kept report by its number', async () => {
    const whole = await jpeg();
    const code = await itemWithFile('扫描.jpg', whole.subarray(0, whole.length - 300));
    const result = await run(cli, ['check', '--item', code, '--user', ARCHIVIST]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain(`档号 ${code}：不通过`);
    expect(result.stdout).toMatch(/可用性\s+文件可正常打开\s+不通过/);
    const run_ = /检测编号 (\d+)/.exec(result.stderr)?.[1];
    expect(run_).toBeDefined();
    const kept = await run(cli, ['check', '--run', run_ as string, '--json', '--user', ARCHIVIST]);
    expect(kept.code).toBe(1);
    const report = JSON.parse(kept.stdout) as CheckReport;
    expect(report).toMatchObject({ id: Number(run_), summary: { failedItems: 1 } });
    expect(report.items[0]?.archiveCode).toBe(code);
  });

  it('refuses a missing or double target and does not find items outside the scope', async () => {
    const none = await run(cli, ['check', '--user', ARCHIVIST]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('请只指定一个检测范围');
    const half = await run(cli, ['check', '--fonds', 'J013', '--user', ARCHIVIST]);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('同时给出 --fonds 与 --year');
    const code = await itemWithFile('回执.pdf', await pdf(1));
    const hidden = await run(cli, ['check', '--item', code, '--user', OUTSIDER]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain(`档号“${code}”不存在`);
  });
});
