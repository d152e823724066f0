// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_REFERENCE_DATE, rosterPerson } from '../src/modules/demo/roster.js';
import { addUser, CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { idOf } from './helpers/roster.js';

// `yidang roster demo`, `yidang reconcile` and `yidang ledger` end to end with the built binary: a
// generated roster, a list from 民政 reconciled into its three workbooks, and ledgers written and filed.

let database: TestDatabase | undefined;
let cli: CliEnv;
const CLERK = 'poverty.clerk';

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  cli.env.YIDANG_PASSWORD = CLI_PASSWORD;
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  await addUser(cli, ['clerk'], { username: CLERK, name: '王丽' });
}, 180_000);
afterAll(() => database?.close());

describe('yidang roster, reconcile and ledger', { timeout: 180_000 }, () => {
  it('loads a generated roster once, and refuses to load it twice', async () => {
    expect(ok(await run(cli, ['roster', 'demo', '--people', '1500']))).toContain('已载入示例名册 1500 人');
    const again = await run(cli, ['roster', 'demo', '--people', '10']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('名册中已有 1500 人');
  });

  it('imports a roster extract, reports refused rows by line only, and changes nothing the second time', async () => {
    const good = idOf('33010219810203456');
    const bad = `${good.slice(0, 17)}${good.endsWith('1') ? '2' : '1'}`;
    const file = path.join(cli.home, '参保名册.csv');
    fs.writeFileSync(
      file,
      `姓名,身份证号,参保类别,参保时间\n钱卫东,${good},城乡居民,2020-01-01\n孙小梅,${bad},居民,2020-01-01\n`,
    );
    const dry = await run(cli, ['roster', 'import', file, '--dry-run', '--user', CLERK]);
    expect(dry.stdout).toContain('试导入（未写入）');
    const first = await run(cli, ['roster', 'import', file, '--user', CLERK]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('人员：新增 1，更新 0，未变 0');
    expect(first.stdout).toContain('第3行：身份证号校验码错误');
    expect(first.stdout + first.stderr).not.toContain(good.slice(0, 14));
    const again = JSON.parse((await run(cli, ['roster', 'import', file, '--json', '--user', CLERK])).stdout);
    expect(again.people).toEqual({ added: 0, updated: 0, unchanged: 1 });
  });

  it('reconciles a list into three workbooks, printing counts and never an ID number', async () => {
    const options = { seed: '1', regionCode: '320115', referenceDate: ROSTER_REFERENCE_DATE };
    const people = [0, 1, 2].map((index) => rosterPerson(options, index));
    const [first, second, third] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
    const wrongDigit = `${third.idNumber.slice(0, 8)}${(Number(third.idNumber[8]) + 1) % 10}${third.idNumber.slice(9)}`;
    const list = path.join(cli.home, '民政低保名单.csv');
    fs.writeFileSync(
      list,
      `姓名,身份证号,人员类别\n${first.name},${first.idNumber},低保\n${second.name},${second.idNumber},低保\n${third.name},${wrongDigit},特困\n`,
    );
    const out = path.join(cli.home, '核对结果');
    const result = await run(cli, ['reconcile', list, '--source', '民政', '--out', out, '--user', CLERK]);
    const printed = ok(result);
    expect(printed).toContain('名单 3 行');
    expect(printed).toContain('身份证号有误（已找到本人）：1');
    for (const person of people) expect(printed + result.stderr).not.toContain(person.idNumber);
    expect(fs.readdirSync(out).sort()).toEqual(
      [
        '民政低保名单.名单核对汇总.xlsx',
        '民政低保名单.参保缴费待办清单.xlsx',
        '民政低保名单.返回更正清单.xlsx',
      ].sort(),
    );
    const refused = await run(cli, ['reconcile', list, '--source', '教育局', '--out', out, '--user', CLERK]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('来文单位');
  });

  it('makes a ledger, files it, and writes only the format asked for', async () => {
    const out = path.join(cli.home, '台账');
    const result = await run(cli, [
      'ledger',
      'enrollment',
      '--as-of',
      '2026-06-30',
      '--format',
      'pdf',
      '--out',
      out,
      '--user',
      CLERK,
    ]);
    expect(ok(result).trim()).toMatch(/^J013-FPTZ·2026-D30-FP-\d{4}$/);
    expect(result.stderr).toContain('在册人数');
    expect(fs.readdirSync(out)).toEqual(['参保台账-截至2026-06-30.pdf']);
    const text = execFileSync('pdftotext', ['-layout', path.join(out, '参保台账-截至2026-06-30.pdf'), '-'], {
      encoding: 'utf8',
    });
    expect(text).toContain('医保扶贫参保台账');
    expect(text).toContain('王丽');
  });

  it('previews a ledger without filing it, then files what was previewed and refuses a stale digest', async () => {
    const filed = async () =>
      (
        JSON.parse(ok(await run(cli, ['item', 'list', '--category', 'FPTZ', '--json', '--user', CLERK]))) as {
          items: unknown[];
        }
      ).items.length;
    const before = await filed();
    const out = path.join(cli.home, '预览');
    const order = ['ledger', 'benefits', '--from', '2025-07-01', '--to', '2026-06-30'];
    const shown = await run(cli, [...order, '--preview', '--out', out, '--user', CLERK]);
    const digest = ok(shown).trim();
    expect(digest).toMatch(/^[0-9a-f]{32}$/);
    expect(shown.stderr).toContain('预览，未归档');
    expect(shown.stderr).toContain('统计期间（按结算日期）');
    expect(shown.stderr).toContain(
      `核对无误后归档：yidang ledger benefits --from 2025-07-01 --to 2026-06-30 --preview-digest ${digest}`,
    );
    expect(fs.readdirSync(out).sort()).toEqual([
      '待遇享受台账-2025-07-01至2026-06-30-预览.pdf',
      '待遇享受台账-2025-07-01至2026-06-30-预览.xlsx',
    ]);
    const text = execFileSync(
      'pdftotext',
      ['-layout', path.join(out, '待遇享受台账-2025-07-01至2026-06-30-预览.pdf'), '-'],
      { encoding: 'utf8' },
    );
    expect(text).toContain('【预览 · 未归档】');
    expect(await filed()).toBe(before);

    const stale = await run(cli, [
      ...order,
      '--preview-digest',
      digest.replace(/^./, (c) => (c === '0' ? '1' : '0')),
      '--format',
      'pdf',
      '--out',
      out,
      '--user',
      CLERK,
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('请重新预览');
    expect(await filed()).toBe(before);
    const kept = await run(cli, [
      ...order,
      '--preview-digest',
      digest,
      '--json',
      '--format',
      'xlsx',
      '--out',
      out,
      '--user',
      CLERK,
    ]);
    expect(JSON.parse(ok(kept))).toMatchObject({ digest, archiveCode: expect.stringMatching(/^J013-FPTZ/) });
    expect(await filed()).toBe(before + 1);
  });

  it('explains a wrong kind or period', async () => {
    const wrongKind = await run(cli, ['ledger', 'poverty', '--as-of', '2026-06-30', '--user', CLERK]);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('台账类别应为');
    const wrongPeriod = await run(cli, ['ledger', 'dynamic', '--as-of', '2026-06-30', '--user', CLERK]);
    expect(wrongPeriod.code).toBe(1);
    expect(wrongPeriod.stderr).toContain('月份');
  });
});
