// test-engine: either (postgres)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/modules/access/totp.js';
import {
  addUser,
  CLI_PASSWORD,
  type CliEnv,
  type CliResult,
  cliEnv,
  run,
  signInAs,
  writeJson,
} from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement, validId, wrongCheckId } from './helpers/fixtures.js';
import { UTC_TIME } from './helpers/workbook-times.js';

// The CLI end to end: the built binary, a real data directory (PGlite) or a real PostgreSQL database.

let database: TestDatabase | undefined;
let cli: CliEnv;
/** The account the item commands sign in as (archivist and clerk, everything in scope). */
let archivist: string;

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
  archivist = await signInAs(cli);
});
afterAll(() => database?.close());

// Two of these start the built binary (serve, standard input); room for a loaded machine.
describe('yidang item', { timeout: 180_000 }, () => {
  it('adds an item from item.json, prints its 档号, shows and lists it', async () => {
    const file = writeJson(cli, 'item.json', reimbursement());
    const added = await run(cli, ['item', 'add', '--file', file]);
    expect(added.code).toBe(0);
    expect(added.stdout.trim()).toBe('J013-JSLX·2024-D30-JSK-0001');

    const shown = await run(cli, ['item', 'show', 'J013-JSLX·2024-D30-JSK-0001']);
    expect(shown.code).toBe(0);
    // Personal data is masked unless asked for; asking (the archivist may) is logged with its purpose.
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: '王*国',
      amount: '1234.50',
      // The signed-in account, not the operator's YIDANG_ACTOR.
      createdBy: archivist,
    });
    expect(shown.stdout).not.toContain(validId());
    const full = await run(cli, [
      'item',
      'show',
      'J013-JSLX·2024-D30-JSK-0001',
      '--unmask',
      '--purpose',
      '核对身份',
    ]);
    expect(JSON.parse(full.stdout)).toMatchObject({ name: '王建国', idNumber: validId() });
    const log = await run(cli, ['log', '--json', '--limit', '5']);
    expect(JSON.parse(log.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'item.unmasked',
          actor: archivist,
          payload: expect.objectContaining({ purpose: '核对身份' }),
        }),
      ]),
    );

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

// Each command signs in (scrypt) on a fresh process; generous timeouts for a loaded machine.
describe('signing in for archive content (yidang item and yidang user)', { timeout: 180_000 }, () => {
  // Filed by the first test of this file.
  const CODE = 'J013-JSLX·2024-D30-JSK-0001';
  const MISSING = 'J013-JSLX·2024-D30-JSK-9999';

  /** A user error: exit 1, nothing on stdout, one Chinese line and no stack trace. */
  function expectRefused(result: CliResult, message: string | RegExp): void {
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^错误：/);
    if (typeof message === 'string') expect(result.stderr).toContain(message);
    else expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('内部错误');
    expect(result.stderr).not.toMatch(/\n\s+at |Error:/);
  }

  async function listUsers(): Promise<Array<Record<string, unknown>>> {
    const listed = await run(cli, ['user', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout);
  }

  async function itemCount(): Promise<number> {
    const listed = await run(cli, ['item', 'list', '--json', '--limit', '1000']);
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout).items.length;
  }

  /** As another account (or none): the environment's own user and password are replaced, or removed (null). */
  const as = (user: string | null, password: string | null = CLI_PASSWORD) => ({
    env: { YIDANG_USER: user ?? undefined, YIDANG_PASSWORD: password ?? undefined },
  });

  it('refuses archive content without an account, in Chinese and without a stack trace', async () => {
    const anonymous = as(null, null);
    const before = await itemCount();
    const shown = await run(cli, ['item', 'show', CODE], anonymous);
    expectRefused(shown, /^错误：查阅或归档档案须用 --user 指定账户/);
    expect(shown.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(shown.stderr).not.toContain('王建国');
    for (const args of [
      ['item', 'list'],
      ['item', 'history', CODE],
      ['item', 'add', '--file', writeJson(cli, 'anonymous.json', reimbursement({ date: '2019-01-01' }))],
      ['file', 'list', CODE],
    ])
      expectRefused(await run(cli, args, anonymous), '查阅或归档档案须用 --user 指定账户');
    // Even with a password in the environment, there is no default account.
    expectRefused(await run(cli, ['item', 'show', CODE], as(null)), '须用 --user 指定账户');
    expect(await itemCount()).toBe(before);
  });

  it('refuses a wrong password and an unknown account with the same message, exit 1', async () => {
    const { username } = await addUser(cli, ['clerk'], { username: 'clerk.pw' });
    const wrong = await run(cli, ['item', 'show', CODE, '--user', username], as(null, 'Wrong-Passw0rd-1'));
    expectRefused(wrong, '用户名、口令或动态口令错误');
    expect(wrong.stderr).not.toContain('王建国');
    const unknown = await run(cli, ['item', 'show', CODE, '--user', 'nobody'], as(null));
    expectRefused(unknown, '用户名、口令或动态口令错误');
    expect(unknown.stderr).toBe(wrong.stderr);
    // --user takes precedence over YIDANG_USER; with the right password the same command works.
    const right = await run(cli, ['item', 'show', CODE, '--user', username], as('nobody'));
    expect(right.code, right.stderr).toBe(0);
    expect(JSON.parse(right.stdout)).toMatchObject({ archiveCode: CODE, name: '王*国' });
  });

  it("hides items outside a clerk's scope exactly as if they did not exist", async () => {
    expect(
      (await run(cli, ['fonds', 'add', '--code', 'J014', '--name', '江宁区医保中心', '--region', '320115']))
        .code,
    ).toBe(0);
    const { username } = await addUser(cli, ['clerk'], { username: 'clerk.j014', scope: ['J014/*/*'] });
    const outsider = as(username);

    const existing = await run(cli, ['item', 'show', CODE], outsider);
    expectRefused(existing, `档号“${CODE}”不存在`);
    expect(existing.stderr).not.toContain('王建国');
    const missing = await run(cli, ['item', 'show', MISSING], outsider);
    expectRefused(missing, `档号“${MISSING}”不存在`);
    // Nothing tells an item out of scope from one that does not exist.
    expect(existing.stderr.replace(CODE, MISSING)).toBe(missing.stderr);
    for (const args of [
      ['item', 'history', CODE],
      ['file', 'list', CODE],
    ])
      expectRefused(await run(cli, args, outsider), `档号“${CODE}”不存在`);

    // The clerk's own fonds is open to it: it files there, and its lists show that item and none of
    // the J013 items, which the archivist does see.
    const filed = await run(
      cli,
      ['item', 'add', '--file', writeJson(cli, 'j014.json', reimbursement({ fonds: 'J014' }))],
      outsider,
    );
    expect(filed.code, filed.stderr).toBe(0);
    const ownCode = filed.stdout.trim();
    expect(ownCode).toMatch(/^J014-/);
    const all = JSON.parse((await run(cli, ['item', 'list', '--json', '--limit', '1000'])).stdout);
    expect(all.items.map((item: { archiveCode: string }) => item.archiveCode)).toContain(CODE);
    for (const [args, expected] of [
      [['item', 'list', '--json', '--limit', '1000'], [ownCode]],
      [['item', 'list', '--json', '--fonds', 'J013'], []],
    ] as const) {
      const listed = await run(cli, [...args], outsider);
      expect(listed.code, listed.stderr).toBe(0);
      const page = JSON.parse(listed.stdout);
      expect(page.items.map((item: { archiveCode: string }) => item.archiveCode)).toEqual(expected);
      expect(page.nextCursor).toBeNull();
    }
    const table = await run(cli, ['item', 'list'], outsider);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(ownCode);
    expect(table.stdout).not.toContain('J013-');
    expect(table.stderr).toContain('共显示 1 件');

    // Nor may the clerk file into a fonds outside the scope.
    const before = await itemCount();
    const filing = writeJson(cli, 'outsider.json', reimbursement({ date: '2018-05-05' }));
    expectRefused(await run(cli, ['item', 'add', '--file', filing], outsider), '超出您的授权范围');
    expect(await itemCount()).toBe(before);
  });

  it('locks an account after 5 wrong passwords, even against the right one', async () => {
    const { username } = await addUser(cli, ['reviewer'], { username: 'reviewer.lock' });
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const failed = await run(cli, ['item', 'show', CODE], as(username, `Wrong-Passw0rd-${attempt}`));
      expectRefused(failed, '用户名、口令或动态口令错误');
    }
    // Locked, the right password gets the same answer as a wrong one: the lock tells nobody the account exists.
    const locked = await run(cli, ['item', 'show', CODE], as(username));
    expectRefused(locked, '用户名、口令或动态口令错误');
    expect(locked.stderr).not.toContain('王建国');
    expect((await listUsers()).find((user) => user.username === username)).toMatchObject({
      locked: true,
      disabled: false,
    });
    // Other accounts are not affected.
    expect((await run(cli, ['item', 'show', CODE])).code).toBe(0);
  });

  it('refuses a weak password or two administrative roles in user add, creating nothing', async () => {
    const before = await listUsers();
    const add = (username: string, roles: string[], password: string) =>
      run(cli, ['user', 'add', username, ...roles.flatMap((role) => ['--role', role])], {
        env: { YIDANG_NEW_PASSWORD: password },
      });
    expectRefused(await add('weak.short', ['clerk'], 'Sh0rt-pw!'), '口令至少 12 个字符');
    expectRefused(await add('weak.kinds', ['clerk'], 'onlylowercaseletters'), '至少三类');
    expectRefused(await add('wanglin', ['clerk'], 'Wanglin-2024-Passw'), '口令不能包含用户名');
    expectRefused(await add('admin.two', ['sysadmin', 'auditor'], CLI_PASSWORD), '三员分立');
    expectRefused(await add('admin.mixed', ['secadmin', 'archivist'], CLI_PASSWORD), '三员分立');
    expectRefused(await add('unknown.role', ['superuser'], CLI_PASSWORD), '未知角色');
    expect(await listUsers()).toEqual(before);
  });

  it('shows an administrator its TOTP secret once; the administrator still may not read content', async () => {
    const created = await run(cli, ['user', 'add', 'sysadmin.one', '--role', 'sysadmin'], {
      env: { YIDANG_NEW_PASSWORD: CLI_PASSWORD },
    });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('已创建账户 sysadmin.one（系统管理员）');
    const secret = /密钥 ([A-Z2-7]{16,})\n/.exec(created.stdout)?.[1] as string;
    expect(secret).toBeDefined();
    const uri = /(otpauth:\/\/\S+)/.exec(created.stdout)?.[1] as string;
    expect(uri).toMatch(/^otpauth:\/\/totp\/[^?]*sysadmin\.one\?/);
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    expect(new URL(uri).searchParams.get('issuer')).toBe('医档');
    const listed = await listUsers();
    expect(listed.find((user) => user.username === 'sysadmin.one')).toMatchObject({
      roles: ['sysadmin'],
      totpEnabled: true,
    });
    // The secret is not shown again anywhere.
    expect(JSON.stringify(listed)).not.toContain(secret);

    // Without the second factor (and no terminal to ask on) the sign-in stops there.
    expectRefused(await run(cli, ['item', 'show', CODE], as('sysadmin.one')), '动态口令');
    // With it the sign-in succeeds, but 三员分立 keeps administrators away from archive content.
    const refused = await run(cli, ['item', 'show', CODE], {
      env: { YIDANG_USER: 'sysadmin.one', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: totpCode(secret) },
    });
    expectRefused(refused, '无权查阅档案');
    expect(refused.stderr).not.toContain('王建国');
  });

  it('records sign-ins, sign-outs, failures and lockouts in the event log under the username', async () => {
    const events = async (subject: string) => {
      const log = await run(cli, ['log', '--json', '--subject', subject, '--limit', '1000']);
      expect(log.code, log.stderr).toBe(0);
      return (
        JSON.parse(log.stdout) as Array<{ actor: string; action: string; payload: Record<string, unknown> }>
      ).reverse();
    };
    const own = await events(`user:${archivist}`);
    expect(own[0]).toMatchObject({ action: 'user.created', actor: '测试档案员' });
    const logins = own.filter((event) => event.action === 'auth.login');
    expect(logins.length).toBeGreaterThan(5);
    for (const login of logins)
      expect(login).toMatchObject({ actor: archivist, payload: { address: 'cli' } });
    // Every signed-in command signs out again.
    expect(own.filter((event) => event.action === 'auth.logout')).toHaveLength(logins.length);

    // Content changes are recorded under the account's username.
    const item = await events(`item:${CODE}`);
    expect(item.find((event) => event.action === 'item.created')).toMatchObject({ actor: archivist });
    expect(item.find((event) => event.action === 'item.changed')).toMatchObject({ actor: archivist });

    expect((await events('user:clerk.pw')).filter((event) => event.action === 'auth.failed')).toEqual([
      expect.objectContaining({ actor: 'clerk.pw', payload: { reason: 'password', address: 'cli' } }),
    ]);
    expect(await events('user:nobody')).toEqual([
      expect.objectContaining({ action: 'auth.failed', payload: { reason: 'unknown_user', address: 'cli' } }),
    ]);
    const lock = (await events('user:reviewer.lock')).map((event) => event.action);
    expect(lock).toEqual([
      'user.created',
      ...Array(5).fill('auth.failed'),
      'auth.locked',
      'auth.refused_locked',
    ]);
    expect(lock).not.toContain('auth.login');

    // The plain table shows them too.
    const table = await run(cli, ['log', '--limit', '200']);
    expect(table.code).toBe(0);
    for (const action of ['auth.login', 'auth.logout', 'auth.failed', 'auth.locked'])
      expect(table.stdout).toContain(action);
    // 时间 in Beijing wall-clock time, never UTC with a Z; --json gives the same with +08:00.
    expect(table.stdout).toMatch(/^\d+\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s/m);
    expect(table.stdout).not.toMatch(UTC_TIME);
    expect(own[0]).toMatchObject({
      recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
    });
  });
});
