// test-engine: either (pglite) — the newcomer's first start is on the embedded default (npm start).
import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/modules/access/totp.js';
import { type CliEnv, cliEnv, run, start } from './helpers/cli.js';
import { dropEmptyDatabases, freshDatabaseUrl, onPostgres } from './helpers/database.js';

// Issue 23: the newcomer's path, as printed. `yidang start` on a fresh data directory says where the
// console, the API and the docs are and, with no account yet, how to make the first one while it
// runs. Every command line of that hint is run exactly as printed, in a shell with nothing but what
// the hint names (and the password), and the accounts it makes sign in.

const PASSWORD = '新手上路-Passw0rd-2026';
const NEW_PASSWORD = '已改口令-Passw0rd-2026';
const exec = promisify(execFile);
const cleanup: Array<() => void | Promise<void>> = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await dropEmptyDatabases();
});

/** Starts `yidang <command>` and reads its standard error until `until` appears. */
async function launch(cli: CliEnv, args: string[], env: Record<string, string>, until: RegExp) {
  const server: ChildProcess = start(cli, args, env);
  cleanup.push(async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const closed = once(server, 'close');
    server.kill('SIGTERM');
    await closed;
  });
  let banner = '';
  server.stderr?.on('data', (chunk) => {
    banner += chunk;
  });
  while (!until.test(banner)) {
    if (server.exitCode !== null) throw new Error(`${args.join(' ')} ended: ${banner}`);
    await Promise.race([once(server.stderr as NodeJS.ReadableStream, 'data'), once(server, 'exit')]);
  }
  return { server, banner };
}

async function signIn(base: string, username: string, password: string, totp?: string) {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, ...(totp ? { totp } : {}) }),
  });
  const body = (await response.json()) as {
    csrfToken: string;
    user: { roles: string[]; mustChangePassword: boolean; mustEnrolTotp: boolean };
  };
  expect(response.status, JSON.stringify(body)).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const headers = { cookie, 'x-csrf-token': body.csrfToken };
  // First sign-in: the password someone else typed is changed by its owner before anything else.
  expect(body.user.mustChangePassword).toBe(true);
  const changed = await fetch(`${base}/api/v1/auth/password`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword: password, newPassword: NEW_PASSWORD }),
  });
  expect(changed.status, await changed.clone().text()).toBe(200);
  return { user: body.user, headers };
}

describe('the first start', { timeout: 300_000 }, () => {
  it('prints the console, the API and a way to the first account that works as printed', async () => {
    const cli = cliEnv(await freshDatabaseUrl());
    cleanup.push(() => fs.rmSync(cli.home, { recursive: true, force: true }));
    // A console build of the test's own, so the address printed is checked to serve it.
    const consoleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-console-'));
    cleanup.push(() => fs.rmSync(consoleDir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><div id="root">首次启动</div>');

    const { banner } = await launch(
      cli,
      ['start', '--port', '0'],
      { YIDANG_CONSOLE_DIR: consoleDir },
      /首次登录须修改口令。\n/,
    );
    const base = /医档服务已启动：(http:\/\/\S+)\/api\/v1 {2}接口文档：(\S+)\/api\/docs/.exec(
      banner,
    )?.[1] as string;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner).toContain(`管理台：${base}/\n`);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">首次启动</div>');
    expect((await fetch(`${base}/api/docs/json`)).status).toBe(200);

    // The hint: where to run, the command lines (indented), and where to sign in.
    expect(banner).toContain('尚无任何账户（没有默认口令）');
    expect(banner).not.toMatch(/停止服务|stop/);
    const where = /于 (\S+) 目录中/.exec(banner)?.[1] as string;
    expect(where).toBe(process.cwd());
    const commands = banner.split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/user add admin --role sysadmin\s+# /);
    expect(commands[1]).toMatch(/user add wangli --role archivist --role clerk --scope 'D001\/\*\/\*'/);
    expect(banner).toContain(`然后在管理台 ${base}/ 用该账户登录，首次登录须修改口令。`);

    // The README's newcomer section shows these very lines, for a clone at /home/you/yidang on port 8080.
    const readme = fs.readFileSync('README.md', 'utf8');
    const shown = /```text\n(首次启动[\s\S]*?)```/.exec(readme)?.[1] as string;
    const printed = banner
      .slice(
        banner.indexOf('医档服务已启动'),
        banner.indexOf('首次登录须修改口令。\n') + '首次登录须修改口令。\n'.length,
      )
      .replaceAll(base, 'http://127.0.0.1:8080')
      .replaceAll(process.cwd(), '/home/you/yidang')
      .replaceAll(`YIDANG_HOME=${cli.home} `, '');
    expect(shown.slice(shown.indexOf('医档服务已启动'))).toBe(
      onPostgres ? printed.replace('（DATABASE_URL 等环境变量与服务相同）', '') : printed,
    );

    // Another terminal: the lines as printed, with only PATH, the password the hint mentions and,
    // on PostgreSQL, the DATABASE_URL the hint asks for.
    const env: Record<string, string> = {
      PATH: process.env.PATH as string,
      YIDANG_NEW_PASSWORD: PASSWORD,
      ...(onPostgres ? { DATABASE_URL: cli.env.DATABASE_URL as string } : {}),
    };
    const outputs: string[] = [];
    for (const line of commands) {
      const { stdout, stderr } = await exec('sh', ['-c', line], { cwd: where, env });
      if (!onPostgres) expect(stderr).toContain('由服务创建账户');
      outputs.push(stdout);
    }
    expect(outputs[0]).toContain('已创建账户 admin（系统管理员）');
    expect(outputs[1]).toContain('已创建账户 wangli（档案员、经办人员），范围：D001/*/*');

    // The server creates accounts only for the holder of its local control token.
    for (const authorization of [undefined, 'Bearer not-the-token']) {
      const refused = await fetch(`${base}/api/v1/admin/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ username: 'intruder', password: PASSWORD, roles: ['sysadmin'], actor: 'x' }),
      });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'CONTROL_TOKEN_INVALID',
      );
    }

    // The archivist signs in, changes the password and sees the demo archives.
    const archivist = await signIn(base, 'wangli', PASSWORD);
    const items = (await (
      await fetch(`${base}/api/v1/items?limit=3`, { headers: archivist.headers })
    ).json()) as { items: Array<{ archiveCode: string }> };
    expect(items.items).toHaveLength(3);
    expect(items.items.every((item) => item.archiveCode.startsWith('D001-'))).toBe(true);

    // The administrator signs in with the secret the command printed, then enrols their own.
    const secret = /密钥 ([A-Z2-7]{16,})/.exec(outputs[0] as string)?.[1] as string;
    const admin = await signIn(base, 'admin', PASSWORD, totpCode(secret));
    expect(admin.user.roles).toEqual(['sysadmin']);
    const me = (await (await fetch(`${base}/api/v1/auth/me`, { headers: admin.headers })).json()) as {
      mustChangePassword: boolean;
      mustEnrolTotp: boolean;
    };
    expect(me).toMatchObject({ mustChangePassword: false, mustEnrolTotp: true });
  });

  it('says when there is no console build, and gives no hint once an account exists', async () => {
    const cli = cliEnv(await freshDatabaseUrl());
    cleanup.push(() => fs.rmSync(cli.home, { recursive: true, force: true }));
    expect((await run(cli, ['init'])).code).toBe(0);
    const { banner, server } = await launch(
      cli,
      ['serve', '--port', '0'],
      { YIDANG_CONSOLE_DIR: path.join(cli.home, 'no-console-here') },
      /首次登录须修改口令。\n/,
    );
    expect(banner).toContain(
      '管理台：尚未构建，本服务只提供接口（运行 npm run build 后重启服务即可使用管理台）',
    );
    expect(banner).toContain('然后用该账户登录（管理台尚未构建，见上）');
    // An empty catalog has no demo fonds to offer an archivist for.
    expect(banner.split('\n').filter((line) => /^ {2}\S/.test(line))).toHaveLength(1);
    const closed = once(server, 'close');
    server.kill('SIGTERM');
    await closed;

    // With an account the server has nothing to tell about accounts.
    const env = { PATH: process.env.PATH as string, YIDANG_HOME: cli.home, YIDANG_NEW_PASSWORD: PASSWORD };
    if (onPostgres) Object.assign(env, { DATABASE_URL: cli.env.DATABASE_URL });
    await exec(process.execPath, ['bin/yidang.js', 'user', 'add', 'clerk1', '--role', 'clerk'], { env });
    const again = await launch(cli, ['serve', '--port', '0'], {}, /医档服务已启动.*\n管理台：.*\n/);
    expect(again.banner).not.toContain('尚无任何账户');
  });
});
