// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { beijingDate } from '../src/shared/beijing-time.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement } from './helpers/fixtures.js';

// yidang loan …: a paper loan from request to 完结 with the built CLI (request, approve, hand-over with
// pages, list, renew, return with missing pages, show) and the rules; bad input answered in Chinese
// with exit code 1. Needs dist/ (npx tsc -p tsconfig.build.json).

let database: TestDatabase | undefined;
let cli: CliEnv;
let item = '';
const J013 = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
const as = (user: string, args: string[]) =>
  run(cli, args, { env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD } });
const plus = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    const [filed] = await fileItems(
      db,
      [
        reimbursement({
          carrier: 'paper',
          paperLocation: { warehouse: '一号库', cabinet: '2', shelf: '3', box: '4' },
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    item = filed?.archiveCode as string;
    for (const [username, role] of [
      ['loan.clerk', 'clerk'],
      ['loan.keeper', 'archivist'],
      ['loan.desk', 'archivist'],
    ] as const)
      await createUser(db, { username, password: CLI_PASSWORD, roles: [role], scope: J013 }, 'test');
    // The rules hold for every agency: set by an archivist whose scope is not narrowed.
    const whole = [{ fondsCode: null, regionCode: null, categoryCode: null }];
    await createUser(
      db,
      { username: 'loan.rules', password: CLI_PASSWORD, roles: ['archivist'], scope: whole },
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

it('lends paper from request to 完结, and refuses bad input in Chinese', async () => {
  const today = beijingDate(new Date());
  const tooLong = await as('loan.clerk', [
    'loan',
    'request',
    item,
    '--kind',
    '实体借出',
    '--purpose',
    '审计核对报销凭证',
    '--days',
    '45',
  ]);
  expect(tooLong.code).toBe(1);
  expect(tooLong.stderr).toContain('最长借阅 30 天');
  const badKind = await as('loan.clerk', [
    'loan',
    'request',
    item,
    '--kind',
    '外借',
    '--purpose',
    '审计核对报销凭证',
    '--days',
    '5',
  ]);
  expect(badKind.code).toBe(1);
  expect(badKind.stderr).toContain('--kind 应为 实体借出、电子阅览、复制');

  const asked = await as('loan.clerk', [
    'loan',
    'request',
    item,
    '--kind',
    '实体借出',
    '--purpose',
    '审计核对报销凭证',
    '--days',
    '10',
  ]);
  expect(asked.code, asked.stderr).toBe(0);
  const loanNo = /借阅单 (JY\d{4}-\d{6})/.exec(asked.stdout)?.[1] as string;
  expect(asked.stdout).toContain('实体借出，待审批');

  const own = await as('loan.clerk', ['loan', 'approve', loanNo]);
  expect(own.code).toBe(1);
  expect((await as('loan.keeper', ['loan', 'approve', loanNo, '--days', '7'])).stdout).toContain('已批准');
  const neverOut = await as('loan.desk', ['loan', 'return', loanNo]);
  expect(neverOut.code).toBe(1);
  expect(neverOut.stderr).toContain('尚未出库，无从归还');

  const out = await as('loan.desk', ['loan', 'hand-over', loanNo, '--pages', `${item}=12`]);
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toContain(`在借（1 件，应还日 ${plus(today, 7)}）`);
  const again = await as('loan.desk', ['loan', 'hand-over', loanNo]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('不能重复出库');

  const desk = await as('loan.desk', ['loan', 'list', '--view', 'desk']);
  expect(desk.stdout).toContain(loanNo);
  expect((await as('loan.clerk', ['loan', 'renew', loanNo, '--days', '5'])).stdout).toContain(
    `应还日 ${plus(today, 12)}`,
  );
  const past = await as('loan.clerk', ['loan', 'renew', loanNo]);
  expect(past.code).toBe(1);
  expect(past.stderr).toContain('最多 1 次');

  const back = await as('loan.desk', [
    'loan',
    'return',
    loanNo,
    '--pages',
    '11',
    '--condition',
    '缺页',
    '--damage',
    '缺第12页',
  ]);
  expect(back.code, back.stderr).toBe(0);
  expect(back.stdout).toContain(`已完结（1 件，应还日 ${plus(today, 12)}，实还日 ${today}）`);
  const shown = await as('loan.clerk', ['loan', 'show', loanNo]);
  expect(shown.stdout).toContain('缺第12页');
  expect(shown.stdout).toContain(`实还日：${today}`);
  const json = JSON.parse((await as('loan.clerk', ['loan', 'show', loanNo, '--json'])).stdout);
  expect(json).toMatchObject({ state: 'closed', dueOn: plus(today, 12), returnedOn: today });

  const rules = await as('loan.clerk', ['loan', 'rules']);
  expect(rules.stdout).toContain('永久保管的档案');
  const narrowed = await as('loan.keeper', ['loan', 'rules', 'set', '--max-days', '5']);
  expect(narrowed.stderr).toContain('范围不受限');
  const set = await as('loan.rules', [
    'loan',
    'rules',
    'set',
    '--category',
    'JSLX',
    '--max-days',
    '5',
    '--no-paper',
  ]);
  expect(set.code, set.stderr).toBe(0);
  const refused = await as('loan.clerk', [
    'loan',
    'request',
    item,
    '--kind',
    '实体借出',
    '--purpose',
    '审计核对报销凭证',
    '--days',
    '3',
  ]);
  expect(refused.stderr).toContain('纸质原件不得出库');
}, 300_000);
