// test-engine: either (pglite) — the server process killed and restarted; PostgreSQL's own durability is
// not ours to test, so it runs on the embedded default, whose crash safety is.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { apiToken, type CliEnv, cliEnv, run, signInAs, start, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, sql, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';

// Several processes at once, and a process killed in the middle of a load: nothing is lost,
// half-written or numbered twice.

let database: TestDatabase | undefined;
let cli: CliEnv;

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  expect((await run(cli, ['init'])).code).toBe(0);
  expect(
    (await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '测试局', '--region', '320115'])).code,
  ).toBe(0);
  await signInAs(cli);
});
afterAll(() => database?.close());

async function withCatalog<T>(work: (db: TestDatabase['db']) => Promise<T>): Promise<T> {
  const handle = await openDatabase(loadConfig({ ...cli.env, YIDANG_LOCK_TIMEOUT_MS: '30000' }));
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

/** Per sequence: how many items, the highest number and the counter, which must all agree. */
async function sequenceAudit(db: TestDatabase['db'], fonds: string) {
  const result = await sql<{ sequence_key: string; items: number; highest: number; last_number: number }>`
    select s.sequence_key, count(i.id)::int as items, coalesce(max(i.item_number), 0) as highest, s.last_number
    from archive_sequence s
    left join archive_item i on i.fonds_code = s.fonds_code and i.archive_code like replace(s.sequence_key, '{item}', '%')
    where s.fonds_code = ${fonds}
    group by s.sequence_key, s.last_number`.execute(db);
  return result.rows;
}

// Each of these waits on child processes (the built binary); a loaded machine slows them several-fold.
describe('concurrent processes', { timeout: 180_000 }, () => {
  it('two processes filing into one sequence get distinct, gapless numbers', async () => {
    const batch = (tag: string) =>
      Array.from({ length: 20 }, (_, index) =>
        reimbursement({ date: '2020-08-08', title: `${tag} 第${index}件` }),
      );
    // Two processes of the built binary, not two runs in this one (those take turns).
    const [first, second] = await Promise.all([
      run(cli, ['item', 'add', '--file', writeJson(cli, 'a.json', batch('甲'))], { spawn: true }),
      run(cli, ['item', 'add', '--file', writeJson(cli, 'b.json', batch('乙'))], { spawn: true }),
    ]);
    expect(first.stderr).toBe('');
    expect(second.stderr).toBe('');
    const codes = [...first.stdout.trim().split('\n'), ...second.stdout.trim().split('\n')];
    const numbers = codes.map((code) => Number(code.slice(-4))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(new Set(codes).size).toBe(40);
  });

  it.runIf(!onPostgres)('tells a second process that the embedded database is busy', async () => {
    const server = start(cli, ['serve', '--port', '0']);
    try {
      let banner = '';
      server.stderr?.on('data', (chunk) => {
        banner += chunk;
      });
      while (!banner.includes('医档服务已启动')) await once(server.stderr as NodeJS.ReadableStream, 'data');
      const blocked = await run(cli, ['item', 'list'], { env: { YIDANG_LOCK_TIMEOUT_MS: '300' } });
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('嵌入式数据库正被另一个进程使用');
      expect(blocked.stderr).toContain(`进程号 ${server.pid}`);
    } finally {
      server.kill('SIGTERM');
      await once(server, 'close');
    }
    expect((await run(cli, ['item', 'list'])).code).toBe(0);
  });
});

describe('a process killed mid-load', { timeout: 180_000 }, () => {
  it('keeps every committed batch whole and the numbering gapless', async () => {
    // PGlite on its worker thread, as the server runs it: the kill ends the process mid-write there.
    const loader = start(cli, ['demo', '--items', '200000', '--seed', '7'], {
      YIDANG_PGLITE_THREAD: 'worker',
    });
    let progress = '';
    loader.stderr?.on('data', (chunk) => {
      progress += chunk;
    });
    while (!/已归档 [1-9]\d{3,}\//.test(progress) && loader.exitCode === null) {
      await once(loader.stderr as NodeJS.ReadableStream, 'data');
    }
    loader.kill('SIGKILL');
    await once(loader, 'close');

    await withCatalog(async (db) => {
      const { count } = await db
        .selectFrom('archive_item')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('fonds_code', '=', 'D001')
        .executeTakeFirstOrThrow();
      // The demo commits 5,000 items a transaction.
      expect(Number(count)).toBeGreaterThanOrEqual(5000);
      expect(Number(count) % 5000).toBe(0);
      const audit = await sequenceAudit(db, 'D001');
      expect(audit.length).toBeGreaterThan(10);
      for (const row of audit) {
        expect(row, row.sequence_key).toMatchObject({ items: row.last_number, highest: row.last_number });
      }
    });
    // The next load continues after the surviving items.
    const resumed = await run(cli, ['demo', '--items', '1000', '--seed', '7']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/从第 \d+001 件起/);
  });
});

describe('yidang start', { timeout: 180_000 }, () => {
  it('loads a demo set on first start, serves the API and stops cleanly', async () => {
    const own = onPostgres ? await openTestDatabase() : undefined;
    const fresh = cliEnv(own?.url);
    // An account and its API token, made on the server before it starts (and holds the database).
    expect((await run(fresh, ['init'])).code).toBe(0);
    const headers = await apiToken(fresh, await signInAs(fresh, ['clerk']), ['item.read']);
    const server = start(fresh, ['start', '--port', '0']);
    let banner = '';
    server.stderr?.on('data', (chunk) => {
      banner += chunk;
    });
    while (!/医档服务已启动：(\S+)\/api\/v1/.test(banner)) {
      if (server.exitCode !== null) throw new Error(banner);
      await once(server.stderr as NodeJS.ReadableStream, 'data');
    }
    const base = /医档服务已启动：(\S+)\/api\/v1/.exec(banner)?.[1];
    const anonymous = await fetch(`${base}/api/v1/items?fonds=D001&limit=5`);
    expect(anonymous.status).toBe(401);
    await anonymous.arrayBuffer();
    const page = (await (await fetch(`${base}/api/v1/items?fonds=D001&limit=5`, { headers })).json()) as {
      items: unknown[];
    };
    expect(page.items).toHaveLength(5);
    const health = (await (await fetch(`${base}/api/v1/health`)).json()) as { database: string };
    expect(health.database).toBe(onPostgres ? 'postgres' : 'pglite');
    server.kill('SIGTERM');
    const [code] = await once(server, 'close');
    expect(code).toBe(0);
    await own?.close();
  });
});
