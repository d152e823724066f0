import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiToken, type CliEnv, type CliResult, cliEnv, run, signInAs, start } from './helpers/cli.js';
import { dropEmptyDatabases, freshDatabaseUrl, onPostgres } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';
import { opaqueBytes } from './helpers/opaque-content.js';

// `yidang backup` while `yidang start` serves: on the embedded database, which only one process can
// open, the server takes the backup itself; either way requests keep being answered throughout, and
// the backup restores into a fresh home that verifies.

const PASSPHRASE = '在线备份-Correct-Horse-2026';
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await dropEmptyDatabases();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-online-backup-'));
  dirs.push(dir);
  return dir;
}

async function startServer(cli: CliEnv) {
  const server = start(cli, ['start', '--port', '0']);
  let banner = '';
  server.stderr?.on('data', (chunk) => {
    banner += chunk;
  });
  while (!banner.includes('医档服务已启动') && server.exitCode === null)
    await Promise.race([once(server.stderr as NodeJS.ReadableStream, 'data'), once(server, 'exit')]);
  const match = /医档服务已启动：(http:\/\/\S+)\/api\/v1/.exec(banner);
  if (!match) throw new Error(`server did not start: ${banner}`);
  return { server, base: match[1] as string };
}

const serverFile = (cli: CliEnv) => path.join(cli.home, 'run', 'server.json');

function expectOk(result: CliResult, what: string): void {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
}

describe('yidang backup while the server runs', () => {
  it('is taken through the server on the embedded database while requests keep being answered', async () => {
    const cli = cliEnv(await freshDatabaseUrl());
    dirs.push(cli.home);
    // The API needs a token, made on the server before it starts (the embedded database is then
    // held by the server alone).
    expectOk(await run(cli, ['init']), 'init');
    const username = await signInAs(cli, ['clerk']);
    const headers = await apiToken(cli, username, ['item.read', 'item.create', 'file.add']);
    const { server, base } = await startServer(cli);
    const dir = path.join(tempDir(), 'backup');
    let backup: CliResult;
    const statuses: number[] = [];
    try {
      const info = JSON.parse(fs.readFileSync(serverFile(cli), 'utf8')) as { pid: number; url: string };
      expect(info.pid).toBe(server.pid);
      expect(fs.statSync(serverFile(cli)).mode & 0o777).toBe(0o600);

      const anonymous = await fetch(`${base}/api/v1/items?limit=1`);
      expect(anonymous.status).toBe(401);
      await anonymous.arrayBuffer();
      const list = (await (await fetch(`${base}/api/v1/items?limit=1`, { headers })).json()) as {
        items: Array<{ archiveCode: string }>;
      };
      const code = list.items[0]?.archiveCode as string;
      const form = new FormData();
      form.append('file', new Blob([opaqueBytes(150_000)]), 'record.wav');
      const upload = await fetch(`${base}/api/v1/items/${encodeURIComponent(code)}/files`, {
        method: 'POST',
        headers,
        body: form,
      });
      expect(upload.status).toBe(201);

      // Without the control token from the data directory the server refuses.
      for (const authorization of [undefined, 'Bearer not-the-token']) {
        const refused = await fetch(`${base}/api/v1/admin/backup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ dir: path.join(tempDir(), 'x'), passphrase: PASSPHRASE }),
        });
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
          'CONTROL_TOKEN_INVALID',
        );
      }

      const running = run(cli, ['backup', dir], { env: { YIDANG_BACKUP_PASSPHRASE: PASSPHRASE } });
      let finished = false;
      void running.then(() => {
        finished = true;
      });
      // Paced requests while the backup runs, each with its own deadline: a stuck server fails the
      // test with a message instead of hanging it.
      const deadline = Date.now() + 120_000;
      while (!finished && Date.now() < deadline) {
        const [health, filed] = await Promise.all([
          fetch(`${base}/api/v1/health`, { signal: AbortSignal.timeout(30_000) }),
          fetch(`${base}/api/v1/items`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify(reimbursement({ fonds: 'D001', title: `备份期间归档 ${statuses.length}` })),
            signal: AbortSignal.timeout(30_000),
          }),
        ]);
        statuses.push(health.status, filed.status);
        await filed.arrayBuffer();
        await health.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(finished, 'the backup did not finish within two minutes').toBe(true);
      backup = await running;
    } finally {
      server.kill('SIGTERM');
      await once(server, 'close');
    }
    expectOk(backup, 'backup');
    expect(backup.stdout).toMatch(/^备份完成：.*1 个文件/);
    if (!onPostgres)
      expect(backup.stderr).toContain(`由运行中的服务（进程号 ${server.pid}）持有，由服务执行在线备份`);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(new Set(statuses)).toEqual(new Set([200, 201]));
    expect(fs.existsSync(serverFile(cli))).toBe(false);

    // The backup restores into a new home on the embedded database and verifies.
    const target = cliEnv();
    dirs.push(target.home);
    fs.rmSync(target.home, { recursive: true });
    const restored = await run(target, ['restore', dir], { env: { YIDANG_BACKUP_PASSPHRASE: PASSPHRASE } });
    expectOk(restored, 'restore');
    expect(restored.stdout).toContain('恢复后校验通过，根哈希与备份检查点一致');
  }, 180_000);

  it.runIf(!onPostgres)(
    'ignores the file of a server that was killed and backs up directly',
    async () => {
      const cli = cliEnv();
      dirs.push(cli.home);
      expectOk(await run(cli, ['init']), 'init');
      const dead = start(cli, ['--version']);
      await once(dead, 'close');
      fs.mkdirSync(path.dirname(serverFile(cli)), { recursive: true });
      fs.writeFileSync(
        serverFile(cli),
        JSON.stringify({
          pid: dead.pid,
          url: 'http://127.0.0.1:9',
          token: 'stale',
          startedAt: new Date().toISOString(),
        }),
      );
      const dir = path.join(tempDir(), 'backup');
      const backup = await run(cli, ['backup', dir], { env: { YIDANG_BACKUP_PASSPHRASE: PASSPHRASE } });
      expectOk(backup, 'backup');
      expect(backup.stderr).not.toContain('由服务执行');
      expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(true);
    },
    180_000,
  );
});
