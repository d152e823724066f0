import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, sql, type TestDatabase } from './helpers/database.js';

// yidang job list|retry: the background jobs by state, and a dead one queued again by the operator.

let database: TestDatabase | undefined;
let cli: CliEnv;
let id: number;

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  expect((await run(cli, ['init'])).code).toBe(0);
  const handle = await openDatabase(loadConfig(cli.env));
  try {
    const row = await sql<{ id: number }>`
      insert into job (kind, payload, state, attempts, max_attempts, last_error, finished_at)
      values ('check.after-filing', '{"archiveCode":"J013-WS·2024-D30-0007","actor":"clerk"}', 'dead', 3, 3,
        '病毒库无法读取', now())
      returning id`.execute(handle.db);
    id = Number(row.rows[0]?.id);
  } finally {
    await handle.close();
  }
});
afterAll(() => database?.close());

describe('yidang job', { timeout: 120_000 }, () => {
  it('lists dead jobs with their error, retries one, and refuses a job that is not dead', async () => {
    const listed = await run(cli, ['job', 'list', '--state', 'dead']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('失败（死信） 1');
    expect(listed.stdout).toContain('归档后四性检测');
    expect(listed.stdout).toContain('病毒库无法读取');
    expect(listed.stdout).toContain('J013-WS·2024-D30-0007');
    const retried = await run(cli, ['job', 'retry', String(id)]);
    expect(retried.stdout).toContain(`任务 ${id}（归档后四性检测）已重新排队`);
    const json = JSON.parse((await run(cli, ['job', 'list', '--json'])).stdout) as {
      jobs: Array<{ id: number; state: string; attempts: number }>;
    };
    expect(json.jobs.find((job) => job.id === id)).toMatchObject({ state: 'queued', attempts: 0 });
    const again = await run(cli, ['job', 'retry', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('未处于失败（死信）状态');
    expect((await run(cli, ['job', 'list', '--state', 'lost'])).code).toBe(1);
  });
});
