import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, type CliEnv, cliEnv, run, signInAs } from './helpers/cli.js';
import { onPostgres, openTestDatabase, sql, type TestDatabase } from './helpers/database.js';
import { push, type RunningServer, serve } from './helpers/servers.js';

// Two servers on one PostgreSQL database share the job runtime: 50 pushes spread over both queue
// 50 checks and each runs once (SKIP LOCKED), each scheduled checkpoint run is taken by one server
// (no two within one period, no two of the same log size), and one server at a time indexes.
// PostgreSQL only: the embedded database is open in one process at a time.

const PERIOD = 10;
let database: TestDatabase;
let cli: CliEnv;
let clerk: { authorization: string };
const servers: RunningServer[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  database = await openTestDatabase();
  cli = cliEnv(database.url);
  expect((await run(cli, ['init'])).code).toBe(0);
  expect(
    (await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '测试局', '--region', '320115'])).code,
  ).toBe(0);
  clerk = await apiToken(cli, await signInAs(cli, ['clerk']), ['item.create']);
}, 120_000);
afterAll(async () => {
  for (const server of servers) await server.stop();
  await database?.close();
});

const db = () => database.db;

describe.runIf(onPostgres)('two servers on one PostgreSQL', { timeout: 300_000 }, () => {
  it('run every job once and every scheduled run once', async () => {
    const env = {
      YIDANG_JOB_POLL_MS: '100',
      YIDANG_CHECKPOINT_INTERVAL: String(PERIOD),
      YIDANG_OCR_CONCURRENCY: '0',
    };
    // Schedules count from the first server's start.
    const started = Date.now();
    servers.push(await serve(cli, env), await serve(cli, env));
    const codes = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        push((servers[index % 2] as RunningServer).base, clerk, `TWO-${String(index + 1).padStart(3, '0')}`),
      ),
    );
    expect(new Set(codes).size).toBe(50);
    const deadline = Date.now() + 180_000;
    const doneChecks = async () =>
      (
        await db()
          .selectFrom('job')
          .select('id')
          .where('kind', '=', 'check.after-filing')
          .where('state', '=', 'done')
          .execute()
      ).length;
    while ((await doneChecks()) < 50) {
      if (Date.now() > deadline)
        throw new Error(`checks did not finish:\n${servers.map((s) => s.log()).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Let at least three checkpoint periods pass with both servers looking every 100 ms.
    const waitUntil = started + (3 * PERIOD + 3) * 1000;
    while (Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 500));
    // The indexer's lease has one holder, one of the two servers.
    const lease = await db()
      .selectFrom('job_lease')
      .selectAll()
      .where('name', '=', 'search.indexer')
      .execute();
    const pids = servers.map((server) => String(server.server.pid));
    expect(lease).toHaveLength(1);
    expect(pids).toContain(lease[0]?.holder.split(':').at(-1));
    const seconds = (Date.now() - started) / 1000;
    for (const server of servers.splice(0)) await server.stop();

    const checks = await db()
      .selectFrom('job')
      .select(['state', 'attempts', 'worker'])
      .where('kind', '=', 'check.after-filing')
      .execute();
    expect(checks.map((job) => [job.state, job.attempts])).toEqual(Array(50).fill(['done', 1]));
    const runs = await sql<{ target: string }>`
      select target from check_run where trigger = 'ingest' order by target`.execute(db());
    expect(runs.rows.map((row) => row.target)).toEqual([...codes].sort());
    // Both servers took checks off the shared queue.
    expect(new Set(checks.map((job) => job.worker?.split(':').at(-1))).size).toBe(2);

    const scheduled = await sql<{ at: Date; state: string; attempts: number }>`
      select created_at as at, state, attempts from job where schedule = 'integrity.checkpoint'
      order by created_at`.execute(db());
    const times = scheduled.rows.map((row) => new Date(row.at).getTime());
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThanOrEqual(Math.ceil(seconds / PERIOD));
    for (let index = 1; index < times.length; index++)
      expect((times[index] as number) - (times[index - 1] as number)).toBeGreaterThanOrEqual(
        PERIOD * 1000 - 50,
      );
    expect(scheduled.rows.every((row) => row.state === 'done' && row.attempts === 1)).toBe(true);
    const sizes = await sql<{ tree_size: number }>`select tree_size from integrity_checkpoint`.execute(db());
    const treeSizes = sizes.rows.map((row) => Number(row.tree_size));
    expect(new Set(treeSizes).size).toBe(treeSizes.length);
    expect(treeSizes.length).toBeGreaterThanOrEqual(1);
  });
});
