// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from './helpers/fixtures.js';

// yidang case …: 核查案件 with the built CLI — opened by hand with evidence, assigned, noted, concluded
// and closed (its case file filed); listed and shown in Chinese; wrong steps and bad input answered in
// Chinese with exit code 1. Needs dist/ (npx tsc -p tsconfig.build.json).

let database: TestDatabase | undefined;
let cli: CliEnv;
const items: string[] = [];
const PERSON = validId('32011519880808123');
const J013 = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const as = (user: string, args: string[]) =>
  run(cli, args, { env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined } });

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    const filed = await fileItems(
      db,
      [
        reimbursement({ idNumber: PERSON }),
        reimbursement({ title: '住院费用审核表', sensitivity: 'sensitive' }),
      ],
      'test',
      { access: SYSTEM },
    );
    items.push(...filed.map((item) => item.archiveCode));
    for (const [username, roles] of [
      ['case.lead', ['supervisor']],
      ['case.peer', ['supervisor']],
      ['case.clerk', ['clerk']],
    ] as const)
      await createUser(db, { username, password: CLI_PASSWORD, roles: [...roles], scope: J013 }, 'test');
  } finally {
    await system.close();
  }
}, 180_000);
afterAll(async () => {
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('walks a case from 立案 to 结案 and shows it in Chinese', async () => {
  const opened = await as('case.lead', [
    'case',
    'open',
    '某医院涉嫌挂床住院',
    '--fonds',
    'J013',
    '--region',
    '320115',
    '--reason',
    '群众举报病人白天不在院',
    '--items',
    items.join(','),
  ]);
  expect(opened.code, opened.stderr).toBe(0);
  expect(opened.stdout).toMatch(/^核查案件 HC\d{8}：立案，某医院涉嫌挂床住院，地区 320115，承办人 未指派/);
  const code = /核查案件 (HC\d{8})/.exec(opened.stdout)?.[1] as string;
  for (const args of [
    ['assign', code, 'case.peer'],
    ['note', code, '调取病历与护理记录，床位费 12 天，护理记录 4 天'],
    ['conclude', code, '违规', '--amount', '960', '--reason', '床位费多收 8 天'],
  ]) {
    const result = await as('case.lead', ['case', ...args]);
    expect(result.code, `${args[0]}: ${result.stderr}`).toBe(0);
  }
  const closed = await as('case.peer', ['case', 'close', code]);
  expect(closed.code, closed.stderr).toBe(0);
  expect(closed.stdout).toMatch(/已结案.*结论 违规（追回 960\.00 元），核查档案 J013-JGJH/);
  const shown = await as('case.lead', ['case', 'show', code]);
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stdout).toContain('已结案');
  expect(shown.stdout).toContain('敏感档案，未获查阅授权，内容不显示');
  expect(shown.stdout).toContain('核查立案');
  expect(shown.stdout).not.toContain(PERSON);
  const listed = await as('case.lead', ['case', 'list', '--state', '已结案']);
  expect(listed.stdout).toContain(code);
  const json = await as('case.lead', ['case', 'show', code, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ code, state: 'closed', recoverAmount: '960.00' });
});

it('answers wrong steps and bad input in Chinese with exit code 1', async () => {
  const opened = await as('case.lead', [
    'case',
    'open',
    '待核查案件',
    '--fonds',
    'J013',
    '--region',
    '320115',
    '--reason',
    '上级交办线索',
  ]);
  const code = /核查案件 (HC\d{8})/.exec(opened.stdout)?.[1] as string;
  const cases: Array<[string, string[], RegExp]> = [
    ['case.lead', ['case', 'close', code], /不能结案/],
    ['case.lead', ['case', 'conclude', code, '有罪'], /结论应为 违规 或 不违规/],
    ['case.lead', ['case', 'note', code, `参保人 ${PERSON}`], /身份证号/],
    ['case.lead', ['case', 'attach', code, '--clues', 'abc'], /线索编号应为正整数/],
    ['case.lead', ['case', 'list', '--state', '完成'], /--state 应为/],
    ['case.lead', ['case', 'open', '无依据', '--fonds', 'J013', '--region', '320115'], /须填写立案依据/],
    ['case.lead', ['case', 'show', 'HC20269999'], /不存在/],
    ['case.clerk', ['case', 'list'], /无权/],
  ];
  for (const [user, args, message] of cases) {
    const result = await as(user, args);
    expect(result.code, args.join(' ')).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(PERSON);
  }
  await as('case.lead', ['case', 'note', code, '约谈']);
  await as('case.lead', ['case', 'assign', code, 'case.lead']);
  const bad = await as('case.lead', ['case', 'conclude', code, '违规', '--amount', '1.234']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/追回金额应为金额/);
});
