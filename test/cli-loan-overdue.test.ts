// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { shiftDate } from '../src/modules/lending/reminder.service.js';
import { beijingDate } from '../src/shared/beijing-time.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement } from './helpers/fixtures.js';
import { OUT_FONDS } from './helpers/scope-fixture.js';

// yidang loan overdue: the built CLI as an archivist scoped to J013 lists the overdue paper loan of
// a J013 item and not the one holding a J014 item (table and JSON); a clerk is refused. Needs dist/.

let database: TestDatabase | undefined;
let cli: CliEnv;
const today = beijingDate(new Date());
const asUser = (user: string, args: string[]) =>
  run(cli, args, { env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD } });

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    await createFonds(db, OUT_FONDS, 'test');
    const paper = {
      carrier: 'paper',
      paperLocation: { warehouse: '一号库', cabinet: '1', shelf: '1', box: '1' },
    };
    const [inside, outside] = await fileItems(
      db,
      [
        reimbursement({ ...paper, title: '江宁 纸质报销审核表' }),
        reimbursement({
          ...paper,
          fonds: 'J014',
          poolingRegion: '320116',
          responsible: '南京市六合区医疗保障局',
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    await createUser(db, { username: 'loan.borrower', password: CLI_PASSWORD, roles: ['clerk'] }, 'test');
    await createUser(
      db,
      {
        username: 'j013.archivist',
        password: CLI_PASSWORD,
        roles: ['archivist'],
        scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
      },
      'test',
    );
    const borrower = await db
      .selectFrom('app_user')
      .select('id')
      .where('username', '=', 'loan.borrower')
      .executeTakeFirstOrThrow();
    for (const [n, item] of [inside, outside].entries()) {
      const { id } = await db
        .insertInto('loan')
        .values({
          loan_no: `JY2026-60000${n + 1}`,
          kind: 'paper',
          requester_id: borrower.id,
          requested_by: 'loan.borrower',
          borrower_id: borrower.id,
          borrower_username: 'loan.borrower',
          purpose: '审计核对报销凭证',
          days_requested: 10,
          state: 'on_loan',
          approval_levels: 1,
          level1_roles: ['archivist'],
          level2_roles: ['manager'],
          renewals_allowed: 1,
          renewal_days: 10,
          due_on: shiftDate(today, -(5 + n)),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const row = await db
        .selectFrom('archive_item')
        .select('id')
        .where('archive_code', '=', item?.archiveCode as string)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('loan_item')
        .values({ loan_id: id, item_id: row.id, archive_code: item?.archiveCode as string })
        .execute();
    }
  } finally {
    await system.close();
  }
}, 180_000);
afterAll(async () => {
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('lists the overdue loans in the archivist’s scope, as a table and as JSON; a clerk is refused', async () => {
  const table = await asUser('j013.archivist', ['loan', 'overdue']);
  expect(table.code, table.stderr).toBe(0);
  expect(table.stdout).toContain(`截至 ${today}，逾期借阅单 1 笔`);
  expect(table.stdout).toContain('JY2026-600001');
  expect(table.stdout).not.toContain('JY2026-600002');
  expect(table.stdout).not.toContain('J014');

  const json = await asUser('j013.archivist', ['loan', 'overdue', '--json', '--min-days', '3']);
  expect(json.code, json.stderr).toBe(0);
  const page = JSON.parse(json.stdout);
  expect(page).toMatchObject({ total: 1, next: null });
  expect(page.loans[0]).toMatchObject({
    loanNo: 'JY2026-600001',
    daysOverdue: 5,
    dueOn: shiftDate(today, -5),
  });
  expect((await asUser('j013.archivist', ['loan', 'overdue', '--min-days', '6'])).stdout).toContain(
    '逾期借阅单 0 笔',
  );

  const bad = await asUser('j013.archivist', ['loan', 'overdue', '--cursor', 'nope']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('翻页标记无效');
  const clerk = await asUser('loan.borrower', ['loan', 'overdue']);
  expect(clerk.code).not.toBe(0);
  expect(clerk.stderr).toMatch(/权限|无权/);
}, 180_000);
