import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { until } from '../../../test/helpers/wait.js';
import { eventTrail } from '../integrity/events.service.js';
import { findVerifyRun } from './verify-run.repo.js';
import { recordedVerify, type VerifyContext, VerifyRunner, verifyRuns } from './verify-run.service.js';

// Verify runs kept as history: a clean system is recorded as whole, an altered one as not, naming
// the first problem; runs started in the background go one at a time and stop when asked to.

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

describe('the background runner', () => {
  it('runs one verify at a time and records it as finished', async () => {
    const errors: Error[] = [];
    const runner = new VerifyRunner(context, (error) => errors.push(error));
    const started = runner.start('secadmin');
    // The second start is refused at once, before the first one's row is even written.
    const second = await failure(runner.start('secadmin'));
    expect(second.code).toBe('VERIFY_RUNNING');
    expect(second.kind).toBe('conflict');
    const id = await started;
    expect(runner.running).toBe(true);
    await until(async () => (await findVerifyRun(context.db, id))?.status !== 'running', 'the verify run');
    expect(await findVerifyRun(context.db, id)).toMatchObject({ via: 'api', ok: true, status: 'finished' });
    await until(async () => !runner.running, 'the runner to be free');
    const next = await runner.start('secadmin');
    expect(next).toBeGreaterThan(id);
    await until(async () => !runner.running, 'the second run');
    await runner.close();
    expect(runner.running).toBe(false);
    expect(errors).toEqual([]);
  });

  it('stops a run when closed, recording it as failed, and starts no new one', async () => {
    const errors: Error[] = [];
    const runner = new VerifyRunner(context, (error) => errors.push(error));
    const id = await runner.start('secadmin');
    await runner.close();
    // close() came before the run's first progress step, where it stops.
    expect(await findVerifyRun(context.db, id)).toMatchObject({
      status: 'failed',
      error: '服务停止，校验中断',
    });
    expect(errors.map((error) => error.message)).toEqual(['服务停止，校验中断']);
    expect((await failure(runner.start('secadmin'))).code).toBe('SERVER_STOPPING');
  });
});
