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

// yidang hold …: 冻结 with the built CLI — by 档号, by category and year, by a person; listed, shown,
// lifted once with a reason; the retention of a held item not shortened through `item edit`; bad
// input answered in Chinese with exit code 1. Needs dist/ (npx tsc -p tsconfig.build.json).

let database: TestDatabase | undefined;
let cli: CliEnv;
const items: string[] = [];
const PERSON = validId('32011519880808123');
const ALL = [{ fondsCode: null, regionCode: null, categoryCode: null }];
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
      [reimbursement({ idNumber: PERSON }), reimbursement({ title: '另一份报销审核表' })],
      'test',
      { access: SYSTEM },
    );
    items.push(...filed.map((item) => item.archiveCode));
    await createUser(
      db,
      { username: 'hold.keeper', password: CLI_PASSWORD, roles: ['archivist'], scope: ALL },
      'test',
    );
    await createUser(
      db,
      { username: 'hold.clerk', password: CLI_PASSWORD, roles: ['clerk'], scope: ALL },
      'test',
    );
  } finally {
    await system.close();
  }
}, 180_000);
afterAll(async () => {
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('places, lists, shows and lifts holds; a held item’s retention is not shortened', async () => {
  const byItems = await as('hold.keeper', [
    'hold',
    'place',
    items[0] as string,
    '--fonds',
    'J013',
    '--reason',
    '诉讼保全冻结',
    '--case',
    '（2026）苏0115民初1号',
  ]);
  expect(byItems.code, byItems.stderr).toBe(0);
  expect(byItems.stdout).toMatch(/^冻结 DJ-\d{4}-\d+：冻结中，全宗 J013，指定档案 1 件，覆盖 1 件/);
  const first = /冻结 (DJ-\d{4}-\d+)/.exec(byItems.stdout)?.[1] as string;
  const byYear = await as('hold.keeper', [
    'hold',
    'place',
    '--fonds',
    'J013',
    '--kind',
    '按类别和年度',
    '--category',
    'JSLX',
    '--year',
    '2024',
    '--reason',
    '专项检查冻结',
    '--json',
  ]);
  expect(byYear.code, byYear.stderr).toBe(0);
  expect(JSON.parse(byYear.stdout)).toMatchObject({ kind: 'category_year', itemCount: 2 });
  const byPerson = await as('hold.keeper', [
    'hold',
    'place',
    '--fonds',
    'J013',
    '--id-number',
    PERSON,
    '--reason',
    '骗保线索核查',
  ]);
  expect(byPerson.code, byPerson.stderr).toBe(0);
  expect(byPerson.stdout).not.toContain(PERSON);

  const listed = await as('hold.keeper', ['hold', 'list', '--state', '冻结中']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain(first);
  expect(listed.stdout).not.toContain(PERSON);
  const shown = await as('hold.keeper', ['hold', 'show', first]);
  expect(shown.stdout).toContain('诉讼保全冻结');
  expect(shown.stdout).toContain(items[0]);

  const patch = `${cli.home}/shorten.json`;
  fs.writeFileSync(patch, JSON.stringify({ retention: 'D10' }));
  const shorten = await as('hold.keeper', [
    'item',
    'update',
    items[0] as string,
    '--file',
    patch,
    '--reason',
    '缩短保管期限',
  ]);
  expect(shorten.code).toBe(1);
  expect(shorten.stderr).toContain('处于冻结中');
  expect(shorten.stderr).toContain(first);
  // Correcting the person's ID number would move the item out of the person's hold: refused, named.
  const personHold = /冻结 (DJ-\d{4}-\d+)/.exec(byPerson.stdout)?.[1] as string;
  fs.writeFileSync(`${cli.home}/id.json`, JSON.stringify({ idNumber: validId('32011519880808124') }));
  const moved = await as('hold.keeper', [
    'item',
    'update',
    items[0] as string,
    '--file',
    `${cli.home}/id.json`,
    '--reason',
    '更正身份证号',
  ]);
  expect(moved.code).toBe(1);
  expect(moved.stderr).toContain(personHold);
  expect(moved.stderr).toContain('身份证号');
  expect(moved.stderr).not.toContain(PERSON);
  // On the command line the number stays in the shell's history: the command says so. Given as `-`
  // it is read from standard input (a prompt without echo on a terminal), and nothing is said.
  expect(byPerson.stderr).toContain('shell 历史');
  const fromInput = await run(
    cli,
    ['hold', 'place', '--fonds', 'J013', '--id-number', '-', '--reason', '骗保线索核查（二）', '--json'],
    {
      input: `${PERSON}\n`,
      env: { YIDANG_USER: 'hold.keeper', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    },
  );
  expect(fromInput.code, fromInput.stderr).toBe(0);
  expect(JSON.parse(fromInput.stdout)).toMatchObject({ kind: 'query', itemCount: 1 });
  expect(fromInput.stderr).not.toContain('shell 历史');
  expect(`${fromInput.stdout}${fromInput.stderr}`).not.toContain(PERSON);

  const lifted = await as('hold.keeper', ['hold', 'lift', first, '--reason', '诉讼终结解除']);
  expect(lifted.code, lifted.stderr).toBe(0);
  expect(lifted.stdout).toContain('已解除');
  const again = await as('hold.keeper', ['hold', 'lift', first, '--reason', '再次解除试试']);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('不能重复解除');
}, 180_000);

it('answers bad input and missing rights in Chinese with exit code 1', async () => {
  const cases: Array<[string, string[], string]> = [
    ['hold.clerk', ['hold', 'list'], '无权冻结与解除冻结'],
    ['hold.keeper', ['hold', 'place', '--fonds', 'J013', '--reason', '只有全宗的冻结'], '不能冻结整个全宗'],
    [
      'hold.keeper',
      ['hold', 'place', 'J013-NOPE-1', '--fonds', 'J013', '--reason', '不存在的档号'],
      'J013-NOPE-1',
    ],
    [
      'hold.keeper',
      ['hold', 'place', '--fonds', 'J013', '--year', '2024', '--reason', '不成对\ud800代理字符'],
      '代理字符',
    ],
    [
      'hold.keeper',
      ['hold', 'place', '--fonds', 'J013', '--kind', '全部', '--year', '2024', '--reason', '方式有误的冻结'],
      '--kind',
    ],
    ['hold.keeper', ['hold', 'list', '--state', '全部'], '--state'],
    ['hold.keeper', ['hold', 'show', 'DJ-2026-77777'], '不存在'],
  ];
  for (const [user, args, words] of cases) {
    const result = await as(user, args);
    expect(result.code, args.join(' ')).toBe(1);
    expect(result.stderr, args.join(' ')).toContain(words);
    expect(result.stderr).not.toContain('内部错误');
  }
  const wrong = `${PERSON.slice(0, 17)}${PERSON.endsWith('0') ? '1' : '0'}`;
  const badId = await as('hold.keeper', [
    'hold',
    'place',
    '--fonds',
    'J013',
    '--id-number',
    wrong,
    '--reason',
    '身份证号有误的冻结',
  ]);
  expect(badId.code).toBe(1);
  expect(`${badId.stdout}${badId.stderr}`).not.toContain(wrong);
}, 180_000);
