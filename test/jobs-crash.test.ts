import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { addUser, apiToken, type CliEnv, cliEnv, run, signInAs } from './helpers/cli.js';
import { onPostgres, openTestDatabase, sql, type TestDatabase } from './helpers/database.js';
import { push, serve } from './helpers/servers.js';

// The job runtime across a crash, with the real server process: 50 pushes each queue their
// four-property check in the filing's transaction; the server is killed with kill -9 before it ran
// any; after a restart every check runs, and none runs twice.

let database: TestDatabase | undefined;
let cli: CliEnv;
let clerk: { authorization: string };
let admin: { authorization: string };

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  expect((await run(cli, ['init'])).code).toBe(0);
  expect(
    (await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '测试局', '--region', '320115'])).code,
  ).toBe(0);
  // Tokens are made before the server starts: the embedded database is open in one process only.
  clerk = await apiToken(cli, await signInAs(cli, ['clerk']), ['item.create']);
  const { username } = await addUser(cli, ['sysadmin'], { username: 'jobs-admin' });
  admin = await apiToken(cli, username, ['storage.manage']);
}, 120_000);
afterAll(() => database?.close());

async function withCatalog<T>(work: (db: TestDatabase['db']) => Promise<T>): Promise<T> {
  const handle = await openDatabase(loadConfig({ ...cli.env, YIDANG_LOCK_TIMEOUT_MS: '30000' }));
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

const checkJobs = (db: TestDatabase['db']) =>
  db
    .selectFrom('job')
    .select(['state', 'attempts', 'payload'])
    .where('kind', '=', 'check.after-filing')
    .execute();

describe('checks queued by filing survive kill -9', { timeout: 300_000 }, () => {
  it('runs all 50 after a restart, none twice', async () => {
    // Idle workers look for work once every ten minutes: the 50 checks stay queued until the kill.
    const first = await serve(cli, { YIDANG_JOB_POLL_MS: '600000', YIDANG_OCR_CONCURRENCY: '0' });
    const codes: string[] = [];
    try {
      for (let index = 1; index <= 50; index++)
        codes.push(await push(first.base, clerk, `CRASH-${String(index).padStart(3, '0')}`));
    } finally {
      await first.stop('SIGKILL');
    }
    expect(new Set(codes).size).toBe(50);
    const queued = await withCatalog(checkJobs);
    expect(queued.filter((job) => job.state === 'queued')).toHaveLength(50);
    expect(await withCatalog((db) => db.selectFrom('check_run').select('id').execute())).toEqual([]);

    const second = await serve(cli, { YIDANG_JOB_POLL_MS: '100', YIDANG_OCR_CONCURRENCY: '0' });
    try {
      const deadline = Date.now() + 240_000;
      for (;;) {
        const answer = await fetch(
          `${second.base}/api/v1/jobs?state=done&kind=check.after-filing&limit=200`,
          { headers: admin },
        );
        expect(answer.status).toBe(200);
        const { jobs } = (await answer.json()) as { jobs: unknown[] };
        if (jobs.length === 50) break;
        if (Date.now() > deadline) throw new Error(`only ${jobs.length} of 50 checks ran:\n${second.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await second.stop();
    }
    const jobs = await withCatalog(checkJobs);
    expect(jobs.map((job) => [job.state, job.attempts])).toEqual(Array(50).fill(['done', 1]));
    const runs = await withCatalog((db) =>
      sql<{ target: string }>`select target from check_run where trigger = 'ingest' order by target`.execute(
        db,
      ),
    );
    expect(runs.rows.map((row) => row.target)).toEqual([...codes].sort());
  });
});
