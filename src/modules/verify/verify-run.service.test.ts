import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { eventTrail } from '../integrity/events.service.js';
import { listJobs } from '../jobs/job.repo.js';
import { type Clock, JobRuntime } from '../jobs/job.runtime.js';
import { addFile } from '../storage/file.service.js';
import { findVerifyRun } from './verify-run.repo.js';
import {
  recordedVerify,
  startVerifyRun,
  VERIFY_RUN_JOB,
  type VerifyContext,
  verifyInProgress,
  verifyRunJob,
  verifyRuns,
} from './verify-run.service.js';

// Verify runs kept as history: a clean system is recorded as whole, an altered one as not, naming
// the first problem; runs started from the console are jobs: one at a time, taken again when their
// server dies, recorded once, failed when every attempt was cut short.

let system: TestSystem;
let context: VerifyContext;
let archiveCode: string;

beforeAll(async () => {
  system = await openTestSystem();
  context = { db: system.database.db, store: system.store, signingKey: system.signingKey };
  archiveCode = await fileOneItem(system);
});
afterAll(() => system?.dispose());

const verifiedEvents = async () =>
  (await eventTrail(context.db, { action: 'integrity.verified', limit: 10 }, SYSTEM)).map((event) => ({
    subject: event.subject,
    payload: event.payload as Record<string, unknown>,
  }));

describe('recordedVerify', () => {
  it('records a clean run as whole, with its counts and an integrity.verified event', async () => {
    const { runId, report, recordError } = await recordedVerify(context, {}, 'cli:tester');
    expect(report.ok).toBe(true);
    expect(recordError).toBeNull();
    const [run] = await verifyRuns(context.db, 1);
    expect(run).toMatchObject({
      id: runId,
      status: 'finished',
      via: 'cli',
      actor: 'cli:tester',
      deep: false,
      ok: true,
      problemCount: 0,
      firstProblem: null,
      items: 1,
      events: report.events,
    });
    expect(run?.finishedAt).not.toBeNull();
    const [event] = await verifiedEvents();
    expect(event).toEqual({
      subject: `verify-run:${runId}`,
      payload: expect.objectContaining({ ok: true, problemCount: 0, items: 1, firstProblem: null }),
    });
  });

  it('records an altered archive as not whole, naming the first problem by its 档号', async () => {
    const original = await context.db
      .selectFrom('archive_item')
      .select('title')
      .where('archive_code', '=', archiveCode)
      .executeTakeFirstOrThrow();
    await sql`update archive_item set title = '篡改后的题名' where archive_code = ${archiveCode}`.execute(
      context.db,
    );
    try {
      const { runId, report } = await recordedVerify(context, { deep: true }, 'cli:tester');
      expect(report.ok).toBe(false);
      const run = await findVerifyRun(context.db, runId as number);
      expect(run).toMatchObject({ status: 'finished', ok: false, problem_count: 1, deep: true });
      expect(run?.first_problem).toContain(`档案 ${archiveCode}`);
      expect(run?.first_problem).toContain('不符');
      const [event] = await verifiedEvents();
      expect(event?.payload).toMatchObject({
        ok: false,
        problemCount: 1,
        firstProblem: { kind: 'item.altered', record: `档案 ${archiveCode}` },
      });
    } finally {
      await sql`update archive_item set title = ${original.title} where archive_code = ${archiveCode}`.execute(
        context.db,
      );
    }
    expect((await recordedVerify(context, {}, 'cli:tester')).report.ok).toBe(true);
  });

  it('keeps the verdict when the log is too damaged to append its event to', async () => {
    // A head one event short: the next append collides with the last event's number.
    await sql`update integrity_log set size = size - 1`.execute(context.db);
    try {
      const { runId, report, recordError } = await recordedVerify(context, {}, 'cli:tester');
      expect(report.ok).toBe(false);
      expect(report.problems[0]?.kind).toBe('log.head_altered');
      expect(recordError).toContain('校验结果未能记入事件日志');
      const run = await findVerifyRun(context.db, runId as number);
      expect(run).toMatchObject({ status: 'finished', ok: false, error: recordError });
      expect(run?.first_problem).toContain('日志头');
    } finally {
      await sql`update integrity_log set size = size + 1`.execute(context.db);
    }
    expect((await recordedVerify(context, {}, 'cli:tester')).report.ok).toBe(true);
  });

  it('marks a run that cannot finish as failed and rethrows', async () => {
    const onProgress = () => {
      throw new Error('副本目录无法读取');
    };
    await expect(recordedVerify(context, { onProgress }, 'cli:tester')).rejects.toThrow('副本目录无法读取');
    const [run] = await verifyRuns(context.db, 1);
    expect(run).toMatchObject({ status: 'failed', ok: null, via: 'cli', error: '副本目录无法读取' });
  });
});

describe('verify runs started from the console, as jobs', () => {
  let now = new Date('2027-01-04T02:00:00Z');
  const clock: Clock = () => now;
  const runtime = (worker: string, at: Clock = clock) =>
    new JobRuntime(context.db, { clock: at, worker }).register(verifyRunJob(context));
  const jobOf = async (runId: number) =>
    (await listJobs(context.db, { kind: VERIFY_RUN_JOB, limit: 50 })).find(
      (job) => job.payload.runId === runId,
    );
  const verdicts = async (runId: number) =>
    (await verifiedEvents()).filter((event) => event.subject === `verify-run:${runId}`);

  beforeAll(async () => {
    // One stored file, so a run reads replicas (where the tests below hold it).
    await addFile(
      storage(system),
      archiveCode,
      { stream: streamOf('%PDF-1.4 发票'), fileName: 'a.pdf' },
      'test',
    );
  });

  /** Holds the next replica read until released; resolves `reached` when a run gets there. */
  const holdNextCopyCheck = () => {
    const store = system.store;
    const checkCopy = store.checkCopy.bind(store);
    let release = () => {};
    let reached = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let first = true;
    store.checkCopy = async (...args) => {
      if (first) {
        first = false;
        reached();
        await held;
      }
      return checkCopy(...args);
    };
    return {
      arrived,
      release: () => {
        release();
        store.checkCopy = checkCopy;
      },
    };
  };

  it('starts one run at a time: the row and its job commit together, a worker records the verdict', async () => {
    const id = await startVerifyRun(context.db, 'secadmin');
    const second = await failure(startVerifyRun(context.db, 'secadmin'));
    expect(second.code).toBe('VERIFY_RUNNING');
    expect(second.kind).toBe('conflict');
    expect(await verifyInProgress(context.db)).toBe(true);
    expect(await findVerifyRun(context.db, id)).toMatchObject({ status: 'running', via: 'api', ok: null });
    expect(await jobOf(id)).toMatchObject({
      state: 'queued',
      payload: { runId: id, actor: 'secadmin', deep: false },
    });
    expect(await runtime('host-a:1').drain()).toMatchObject({ done: 1, retry: 0, lost: 0 });
    expect(await findVerifyRun(context.db, id)).toMatchObject({
      via: 'api',
      ok: true,
      status: 'finished',
      files: 1,
    });
    expect(await verifyInProgress(context.db)).toBe(false);
    expect(await verdicts(id)).toHaveLength(1);
    // The administrator's jobs view showed how far it went.
    const job = await jobOf(id);
    expect(job?.state).toBe('done');
    expect(job?.progress?.total).toBeGreaterThan(0);
    // Two requests at once: one run (on PostgreSQL the one-running-run index decides).
    const both = await Promise.allSettled([
      startVerifyRun(context.db, 'secadmin', { deep: true }),
      startVerifyRun(context.db, 'secadmin', { deep: true }),
    ]);
    expect(both.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = both.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe('VERIFY_RUNNING');
    expect(await runtime('host-a:1').drain()).toMatchObject({ done: 1 });
    expect(await verifyInProgress(context.db)).toBe(false);
  });

  it('takes again a run whose server died (its lease lapsed), and the abandoned attempt records nothing', async () => {
    const id = await startVerifyRun(context.db, 'secadmin');
    const hold = holdNextCopyCheck();
    // Server A's clock stands still: whatever it renews, its lease ends 600 s after the claim.
    const frozen = now;
    const a = runtime('host-a:1', () => frozen).runNext([VERIFY_RUN_JOB]);
    await hold.arrived;
    now = new Date(now.getTime() + 601_000);
    const b = runtime('host-b:2');
    expect(await b.drain()).toMatchObject({ done: 1 });
    expect(await findVerifyRun(context.db, id)).toMatchObject({ status: 'finished', ok: true });
    hold.release();
    expect((await a)?.outcome).toBe('lost');
    expect(await verdicts(id)).toHaveLength(1);
    expect(await jobOf(id)).toMatchObject({ state: 'done', attempts: 2, worker: 'host-b:2' });
  });

  it('gives a run up when its server stops (left running, taken again), and fails it when every attempt was cut short', async () => {
    const id = await startVerifyRun(context.db, 'secadmin');
    const hold = holdNextCopyCheck();
    const server = await runtime('host-a:1').start();
    await hold.arrived;
    const stopped = server.stop();
    hold.release();
    await stopped;
    expect(await findVerifyRun(context.db, id)).toMatchObject({ status: 'running' });
    expect(await jobOf(id)).toMatchObject({ state: 'retry', lastError: '服务停止，校验中断' });
    expect(await verdicts(id)).toHaveLength(0);
    // Cut short twice more (servers killed): the last attempt's lease lapses and the run ends failed.
    await sql`update job set state = 'running', attempts = 3, worker = 'gone:1', lease_until = ${now}, run_at = ${now}
      where kind = ${VERIFY_RUN_JOB} and state = 'retry'`.execute(context.db);
    now = new Date(now.getTime() + 1000);
    expect(await runtime('host-b:2').drain()).toMatchObject({ dead: 1 });
    const run = await findVerifyRun(context.db, id);
    expect(run).toMatchObject({ status: 'failed', ok: null });
    expect(run?.error).toContain('校验未能完成');
    expect(await verifyInProgress(context.db)).toBe(false);
  });
});
