// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, sql, type TestDatabase } from './helpers/database.js';
import { validId } from './helpers/fixtures.js';

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

// A handler's error may quote what it read: an ID number in it never reaches the operator's screen.
const QUOTED_ID = validId('32011519790101002');

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

  it('masks an ID number quoted in a job error, in the table and in JSON', async () => {
    const handle = await openDatabase(loadConfig(cli.env));
    try {
      await sql`insert into job (kind, payload, state, attempts, max_attempts, last_error, finished_at)
        values ('ocr.page', '{"pageId":1}', 'dead', 3, 3, ${`页面文字含 ${QUOTED_ID}，无法写入`}, now())`.execute(
        handle.db,
      );
    } finally {
      await handle.close();
    }
    const table = await run(cli, ['job', 'list', '--state', 'dead']);
    const json = await run(cli, ['job', 'list', '--state', 'dead', '--json']);
    for (const output of [table, json]) {
      expect(output.code).toBe(0);
      expect(output.stdout).toContain('页面文字含');
      expect(output.stdout).not.toContain(QUOTED_ID);
      expect(output.stdout).not.toContain(QUOTED_ID.slice(6, 14));
    }
  });
});
