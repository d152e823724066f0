// test-engine: either
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { enqueueJob, JobRuntime } from '../modules/jobs/job.runtime.js';
import { type App, buildApp } from './app.js';

// The 系统管理员's view of background jobs over HTTP: counts and lists by state with the last error,
// a dead job retried (and logged as job.retried); other roles are refused; payloads carry no ID
// number in the clear even when a handler's error message held one.

let system: TestSystem;
let app: App;
let sysadmin: TestUser;
let clerk: TestUser;
let dead: number;

const call = (method: 'GET' | 'POST', url: string, user: TestUser) =>
  app.inject({ method, url: `/api/v1${url}`, headers: user.headers });

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store });
  sysadmin = await testUser(system.database.db, { roles: ['sysadmin'] });
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
  const db = system.database.db;
  dead = (await enqueueJob(db, {
    kind: 'test.broken',
    payload: { archiveCode: 'J013-WS·2024-D30-0001' },
    maxAttempts: 1,
  })) as number;
  await enqueueJob(db, { kind: 'test.waiting', payload: { archiveCode: 'J013-WS·2024-D30-0002' } });
  const runtime = new JobRuntime(db).register({
    kind: 'test.broken',
    run: async () => {
      throw new Error('读取 320115199001011237 的文件失败');
    },
  });
  await runtime.drain(['test.broken']);
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

describe('GET /api/v1/jobs', () => {
  it('lists jobs by state with counts, progress and the last error, ID numbers masked', async () => {
    const response = await call('GET', '/jobs?state=dead', sysadmin);
    expect(response.statusCode).toBe(200);
    const body = response.json() as {
      counts: Record<string, number>;
      states: Array<{ state: string; label: string; count: number }>;
      jobs: Array<Record<string, unknown>>;
    };
    expect(body.counts).toMatchObject({ dead: 1, queued: 1 });
    expect(body.states.find((state) => state.state === 'dead')).toEqual({
      state: 'dead',
      label: '失败（死信）',
      count: 1,
    });
    expect(body.jobs).toHaveLength(1);
    expect(body.jobs[0]).toMatchObject({
      id: dead,
      kind: 'test.broken',
      state: 'dead',
      stateLabel: '失败（死信）',
      attempts: 1,
      payload: { archiveCode: 'J013-WS·2024-D30-0001' },
    });
    expect(String(body.jobs[0]?.lastError)).toContain('读取');
    expect(response.body).not.toContain('320115199001011237');
  });

  it('is the 系统管理员’s alone', async () => {
    expect((await call('GET', '/jobs', clerk)).statusCode).toBe(403);
    expect((await call('POST', `/jobs/${dead}/retry`, clerk)).statusCode).toBe(403);
  });
});

describe('POST /api/v1/jobs/{id}/retry', () => {
  it('queues a dead job again, logs it, and refuses a job that is not dead or does not exist', async () => {
    const retried = await call('POST', `/jobs/${dead}/retry`, sysadmin);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ id: dead, state: 'queued', attempts: 0 });
    const again = await call('POST', `/jobs/${dead}/retry`, sysadmin);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'JOB_NOT_DEAD' } });
    expect((await call('GET', '/jobs/999999', sysadmin)).statusCode).toBe(404);
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'actor'])
      .where('subject', '=', `job:${dead}`)
      .execute();
    expect(events).toEqual([{ action: 'job.retried', actor: sysadmin.username }]);
  });
});
