import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { getJob, listJobs } from './job.repo.js';
import { type Clock, enqueueJob, JobRuntime, namedLease } from './job.runtime.js';
import { retryDeadJob } from './job.service.js';

// The job runtime on the real engine, with a clock the test moves: retries wait out their backoff,
// a job whose worker vanished is taken again when its lease lapses, the last failure leaves it dead
// until an administrator retries it, a key queues once, and each scheduled run is taken once.

let database: TestDatabase;
const db = () => database.db;
let now = new Date('2027-01-04T02:00:00Z');
const clock: Clock = () => now;
const advance = (seconds: number) => {
  now = new Date(now.getTime() + seconds * 1000);
};

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());
beforeEach(async () => {
  await sql`delete from job`.execute(db());
  await sql`delete from job_schedule`.execute(db());
});

describe('the job runtime', () => {
  it('retries a failing job with exponential backoff, then leaves it dead with its error', async () => {
    const runs: number[] = [];
    const dead: string[] = [];
    const runtime = new JobRuntime(db(), { clock }).register<{ n: number }>({
      kind: 'test.flaky',
      run: async (payload, context) => {
        runs.push(context.job.attempts);
        throw new Error(`第 ${context.job.attempts} 次失败 ${payload.n}`);
      },
      onDead: async (_trx, _payload, error) => {
        dead.push(error);
      },
    });
    const id = (await enqueueJob(db(), {
      kind: 'test.flaky',
      payload: { n: 7 },
      maxAttempts: 3,
      runAt: now,
    })) as number;
    expect(await runtime.drain()).toMatchObject({ retry: 1, done: 0 });
    // 10 s after the first failure, 20 s after the second: nothing is due before then.
    let job = await getJob(db(), id);
    expect(job).toMatchObject({ state: 'retry', attempts: 1, lastError: '第 1 次失败 7' });
    expect(job?.runAt.getTime()).toBe(now.getTime() + 10_000);
    advance(9);
    expect(await runtime.drain()).toMatchObject({ retry: 0, dead: 0 });
    advance(1);
    expect(await runtime.drain()).toMatchObject({ retry: 1 });
    job = await getJob(db(), id);
    expect(job?.runAt.getTime()).toBe(now.getTime() + 20_000);
    advance(20);
    expect(await runtime.drain()).toMatchObject({ dead: 1 });
    expect(runs).toEqual([1, 2, 3]);
    expect(dead).toEqual(['第 3 次失败 7']);
    job = await getJob(db(), id);
    expect(job).toMatchObject({ state: 'dead', attempts: 3, lastError: '第 3 次失败 7' });
    advance(3600);
    expect(await runtime.drain()).toMatchObject({ retry: 0, dead: 0, done: 0 });
  });

  it('an administrator retries a dead job: queued with fresh attempts, logged as job.retried', async () => {
    let fail = true;
    const runtime = new JobRuntime(db(), { clock }).register({
      kind: 'test.fixable',
      run: async () => {
        if (fail) throw new Error('暂不可用');
      },
    });
    const id = (await enqueueJob(db(), { kind: 'test.fixable', maxAttempts: 1, runAt: now })) as number;
    expect(await runtime.drain()).toMatchObject({ dead: 1 });
    const view = await retryDeadJob(db(), id, 'sysadmin-li', now);
    expect(view).toMatchObject({ state: 'queued', attempts: 0 });
    await expect(retryDeadJob(db(), id, 'sysadmin-li', now)).rejects.toMatchObject({ code: 'JOB_NOT_DEAD' });
    const events = await db()
      .selectFrom('integrity_event')
      .select(['action', 'actor', 'payload'])
      .where('subject', '=', `job:${id}`)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'job.retried', actor: 'sysadmin-li' });
    fail = false;
    expect(await runtime.drain()).toMatchObject({ done: 1 });
    expect(await getJob(db(), id)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('takes again a job whose worker died once its lease lapses, and ignores the late worker', async () => {
    const seen: string[] = [];
    let late: Parameters<Parameters<JobRuntime['register']>[0]['run']>[1] | undefined;
    const vanished = new JobRuntime(db(), { clock, worker: 'other-host:1' }).register({
      kind: 'test.slow',
      leaseSeconds: 60,
      run: async (_payload, context) => {
        late = context;
        throw new VanishedMidJob();
      },
    });
    class VanishedMidJob extends Error {}
    const id = (await enqueueJob(db(), { kind: 'test.slow', runAt: now })) as number;
    // The first worker claims the job and never comes back (its error stands for the process dying).
    await vanished.runNext().catch(() => {});
    await sql`update job set state = 'running', worker = 'other-host:1', lease_until = ${new Date(now.getTime() + 60_000)}, run_at = ${new Date(now.getTime() + 60_000)} where id = ${id}`.execute(
      db(),
    );
    const runtime = new JobRuntime(db(), { clock, worker: 'this-host:2' }).register({
      kind: 'test.slow',
      leaseSeconds: 60,
      run: async (_payload, context) => {
        seen.push(`${context.job.worker}#${context.job.attempts}`);
        await context.progress(1, 2, '一半');
      },
    });
    expect(await runtime.drain()).toMatchObject({ done: 0 });
    advance(61);
    expect(await runtime.drain()).toMatchObject({ done: 1 });
    expect(seen).toEqual(['this-host:2#2']);
    expect(await getJob(db(), id)).toMatchObject({
      state: 'done',
      progress: { done: 1, total: 2, note: '一半' },
    });
    // The abandoned attempt's writes are fenced: it no longer holds the job.
    await expect(
      db()
        .transaction()
        .execute((trx) => (late as NonNullable<typeof late>).holds(trx)),
    ).rejects.toThrow('lease lost');
  });

  it('dead-letters a job whose every attempt was cut short (the lease lapsed each time)', async () => {
    const runtime = new JobRuntime(db(), { clock }).register({ kind: 'test.never', run: async () => {} });
    const id = (await enqueueJob(db(), { kind: 'test.never', maxAttempts: 2, runAt: now })) as number;
    await sql`update job set state = 'running', attempts = 2, worker = 'x:1', lease_until = ${now}, run_at = ${now} where id = ${id}`.execute(
      db(),
    );
    advance(1);
    expect(await runtime.drain()).toMatchObject({ dead: 1, done: 0 });
    expect((await getJob(db(), id))?.lastError).toContain('2 次均未完成');
  });

  it('queues a key once while it waits, and again once it runs', async () => {
    const first = await enqueueJob(db(), { kind: 'test.keyed', key: 'J001-2024-0001', runAt: now });
    const again = await enqueueJob(db(), { kind: 'test.keyed', key: 'J001-2024-0001', runAt: now });
    const other = await enqueueJob(db(), { kind: 'test.keyed', key: 'J001-2024-0002', runAt: now });
    expect(first).not.toBeNull();
    expect(again).toBeNull();
    expect(other).not.toBeNull();
    const runtime = new JobRuntime(db(), { clock }).register({ kind: 'test.keyed', run: async () => {} });
    expect(await runtime.drain()).toMatchObject({ done: 2 });
    expect(await enqueueJob(db(), { kind: 'test.keyed', key: 'J001-2024-0001', runAt: now })).not.toBeNull();
  });

  it('an enqueue in a rolled-back transaction leaves no job', async () => {
    await expect(
      db()
        .transaction()
        .execute(async (trx) => {
          await enqueueJob(trx, { kind: 'test.keyed', key: 'gone' });
          throw new Error('filing failed');
        }),
    ).rejects.toThrow('filing failed');
    expect(await listJobs(db(), { limit: 10 })).toEqual([]);
  });

  it('takes each scheduled run once, however many servers look', async () => {
    const made = () =>
      new JobRuntime(db(), { clock }).schedule({ name: 'test.tick', kind: 'test.tick', everySeconds: 60 });
    const servers = [made(), made(), made()];
    for (const server of servers) await server.saveSchedules();
    expect(await Promise.all(servers.map((server) => server.tickSchedules()))).toEqual([0, 0, 0]);
    let runs = 0;
    for (let period = 1; period <= 5; period++) {
      advance(60);
      const taken = await Promise.all(servers.map((server) => server.tickSchedules()));
      expect(taken.reduce((a, b) => a + b, 0)).toBe(1);
      // Each run is worked before the next is due, as a server would.
      const worker = new JobRuntime(db(), { clock }).register({
        kind: 'test.tick',
        run: async () => void runs++,
      });
      await worker.drain();
    }
    expect(runs).toBe(5);
    expect(await listJobs(db(), { limit: 10, kind: 'test.tick' })).toHaveLength(5);
  });

  it('gives a named lease to one holder until it lapses or is released', async () => {
    const a = namedLease(db(), 'test.lease', { holder: 'a', seconds: 30, clock });
    const b = namedLease(db(), 'test.lease', { holder: 'b', seconds: 30, clock });
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(false);
    advance(20);
    expect(await a.hold()).toBe(true);
    advance(20);
    expect(await b.hold()).toBe(false);
    advance(11);
    expect(await b.hold()).toBe(true);
    expect(await a.hold()).toBe(false);
    await b.release();
    expect(await a.hold()).toBe(true);
  });
});
