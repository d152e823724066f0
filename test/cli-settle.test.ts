// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CliEnv, cliEnv, run, signInAs } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { gbk } from './helpers/gbk.js';
import { extractCsv, outpatient, personId } from './helpers/settlement-extract.js';

// yidang settle …: generating synthetic settlements with their ground truth, importing an extract
// (GBK) with its report, listing and showing settlements with the person masked; bad input answered
// in Chinese with exit code 1. Needs dist/ (npx tsc -p tsconfig.build.json).

let database: TestDatabase | undefined;
let cli: CliEnv;
const PERSON = personId('32011519720303051');

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const init = await run(cli, ['init']);
  expect(init.code, init.stderr).toBe(0);
  await signInAs(cli, ['supervisor']);
}, 180_000);
afterAll(async () => {
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('generates settlements from a seed and writes the ground truth', async () => {
  const truth = path.join(cli.home, 'truth.json');
  const result = await run(cli, ['settle', 'generate', '--count', '400', '--seed', '9', '--truth', truth]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/已生成 400 笔结算/);
  const entries = JSON.parse(fs.readFileSync(truth, 'utf8')) as Array<{ rule: string; serials: string[] }>;
  expect(new Set(entries.map((entry) => entry.rule)).size).toBe(12);
  const again = await run(cli, ['settle', 'generate', '--count', '400', '--seed', '9']);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('已生成过');
  const bad = await run(cli, ['settle', 'generate', '--count', '10']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('生成条数');
});

it('imports a GBK extract with its report; a refused row exits 1 with its reason', async () => {
  const file = path.join(cli.home, '二月结算.csv');
  fs.writeFileSync(
    file,
    gbk(
      extractCsv([
        outpatient('CLI001', { idNumber: PERSON }),
        outpatient('CLI002', { idNumber: PERSON, dx: 'ABC' }),
      ]),
    ),
  );
  const result = await run(cli, ['settle', 'import', file, '--encoding', 'gbk']);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('导入 1 笔');
  expect(result.stdout).toContain('不是ICD-10编码');
  expect(result.stdout).not.toContain(PERSON);
  const report = path.join(cli.home, '二月结算.结算导入报告.xlsx');
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(report);
  expect(book.getWorksheet('未通过的行')?.rowCount).toBe(3);
  const wrong = await run(cli, ['settle', 'import', file, '--encoding', 'latin1']);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain('gbk 或 utf8');
  const missing = await run(cli, ['settle', 'import', path.join(cli.home, 'none.csv')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('找不到文件');
});

it('refuses to generate beside imported settlements (synthetic people could merge with real ones)', async () => {
  const refused = await run(cli, ['settle', 'generate', '--count', '400', '--seed', '11']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('已有导入或推送的结算数据');
});

it('lists and shows settlements with the person masked; an unknown serial is refused', async () => {
  const list = await run(cli, ['settle', 'list', '--id-number', PERSON]);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toContain('CLI001');
  expect(list.stdout).toContain(`${PERSON.slice(0, 6)}********${PERSON.slice(-4)}`);
  expect(list.stdout).not.toContain(PERSON);
  const show = await run(cli, ['settle', 'show', 'CLI001']);
  expect(show.code, show.stderr).toBe(0);
  expect(show.stdout).toContain('阿莫西林胶囊');
  expect(show.stdout).not.toContain(PERSON);
  const json = await run(cli, ['settle', 'list', '--type', '住院', '--limit', '5', '--json']);
  expect(JSON.parse(json.stdout).settlements.length).toBe(5);
  const unknown = await run(cli, ['settle', 'show', 'NOSUCH']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('不存在');
  const badType = await run(cli, ['settle', 'list', '--type', '急诊']);
  expect(badType.code).toBe(1);
  expect(badType.stderr).toContain('门诊或住院');
});
