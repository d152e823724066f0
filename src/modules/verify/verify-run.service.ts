import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, YidangError } from '../../shared/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { type VerifyOptions, type VerifyReport, verifyAll } from './verify.service.js';
import { enqueueJob, type JobDefinition, JobLost } from '../jobs/job.runtime.js';
import {
  endVerifyRun,
  findVerifyRun,
  insertVerifyRun,
  listVerifyRuns,
  runningVerifyRun,
  type VerifyOutcome,
  type VerifyRunRow,
} from './verify-run.repo.js';

// Verify runs kept as history: `yidang verify` and the console's “校验” button (a verify.run job) both
// go through recordedVerify, which stores the verdict and logs an integrity.verified event in one
// transaction.

export interface VerifyContext {
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
}

export interface RecordedVerify {
  runId: number | null;
  report: VerifyReport;
  /** Why the run could not be recorded (a log too damaged to append to); null when it was. */
  recordError: string | null;
}

export interface VerifyRunView {
  id: number;
  status: VerifyRunRow['status'];
  via: VerifyRunRow['via'];
  actor: string;
  deep: boolean;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  problemCount: number | null;
  firstProblem: string | null;
  events: number | null;
  items: number | null;
  files: number | null;
  blobs: number | null;
  error: string | null;
}

const clip = (text: string, length: number) =>
  text.length > length ? `${text.slice(0, length - 1)}…` : text;
const messageOf = (error: unknown) => clip((error as Error)?.message ?? String(error), 500);

function outcomeOf(report: VerifyReport): VerifyOutcome {
  const first = report.problems[0];
  return {
    ok: report.ok,
    problem_count: report.problemCount,
    first_problem: first ? clip(first.message, 500) : null,
    events: report.events,
    items: report.items,
    files: report.files,
    blobs: report.blobs,
  };
}

/** The run a recording ends: the row started from the console, and the job attempt that may write it. */
export interface VerifyRunClaim {
  id: number;
  /** Throws (JobLost) inside the recording transaction when this attempt no longer holds the run. */
  holds?(trx: Db): Promise<void>;
}

/** A run given up without a verdict (the server stops, the lease was lost): its row stays running. */
const leftRunning = (error: unknown) => error instanceof JobLost || error instanceof VerifyInterrupted;

/**
 * Runs verifyAll and records it: a new finished row (the CLI) or the end of the running row `run`
 * (a run started from the console), with its event. A run that fails is marked failed and rethrown.
 */
export async function recordedVerify(
  context: VerifyContext,
  options: VerifyOptions,
  actor: string,
  run?: VerifyRunClaim,
): Promise<RecordedVerify> {
  const { db } = context;
  const startedAt = new Date();
  const deep = options.deep ?? false;
  // The row's end: the running row is closed, or (from the CLI) the whole row written at once.
  const save = async (trx: Db, end: Parameters<typeof endVerifyRun>[2]): Promise<number> => {
    if (run !== undefined) {
      await run.holds?.(trx);
      await endVerifyRun(trx, run.id, end);
      return run.id;
    }
    const row = { ...end, via: 'cli' as const, actor, deep, started_at: startedAt, finished_at: new Date() };
    return insertVerifyRun(trx, row);
  };
  let report: VerifyReport;
  try {
    report = await verifyAll(context, options);
  } catch (error) {
    if (!leftRunning(error))
      await inTransaction(db, (trx) => save(trx, { status: 'failed', error: messageOf(error) })).catch(
        () => {},
      );
    throw error;
  }
  const outcome = { ...outcomeOf(report), status: 'finished' as const };
  const first = report.problems[0];
  try {
    const id = await inTransaction(db, async (trx) => {
      const id = await save(trx, outcome);
      recordEvent(trx, {
        actor,
        action: 'integrity.verified',
        subject: `verify-run:${id}`,
        payload: {
          ok: report.ok,
          problemCount: report.problemCount,
          events: report.events,
          items: report.items,
          files: report.files,
          blobs: report.blobs,
          deep,
          firstProblem: first ? { kind: first.kind, record: first.record } : null,
        },
      });
      return id;
    });
    return { runId: id, report, recordError: null };
  } catch (error) {
    if (leftRunning(error)) throw error;
    // A log too damaged to append to must not hide the verdict: keep the row alone and say why.
    const recordError = `校验结果未能记入事件日志：${messageOf(error)}`;
    const id = await inTransaction(db, (trx) => save(trx, { ...outcome, error: recordError })).catch(
      () => null,
    );
    return { runId: id, report, recordError };
  }
}

export function toVerifyRunView(row: VerifyRunRow): VerifyRunView {
  return {
    id: Number(row.id),
    status: row.status,
    via: row.via,
    actor: row.actor,
    deep: row.deep,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    ok: row.ok,
    problemCount: row.problem_count,
    firstProblem: row.first_problem,
    events: row.events,
    items: row.items,
    files: row.files,
    blobs: row.blobs,
    error: row.error,
  };
}

export async function verifyRuns(db: Db, limit = 20, before?: number): Promise<VerifyRunView[]> {
  return (await listVerifyRuns(db, limit, before)).map(toVerifyRunView);
}

export async function latestVerifyRun(db: Db): Promise<VerifyRunView | null> {
  const [row] = await listVerifyRuns(db, 1);
  return row ? toVerifyRunView(row) : null;
}

// Runs started from the console are jobs (kind verify.run): the row and its job commit together, a
// job worker on one server runs it under a lease it renews with each progress step, a server killed
// mid-run leaves it to be taken again once that lease lapses, and the recording transaction is fenced
// by the claim, so an abandoned attempt never records a second verdict.

export const VERIFY_RUN_JOB = 'verify.run';

export interface VerifyRunJob {
  runId: number;
  actor: string;
  deep: boolean;
}

/** Long enough between two progress steps (one large file read on a slow replica). */
const VERIFY_LEASE_SECONDS = 600;
const PROGRESS_EVERY_MS = 2000;

export class VerifyInterrupted extends YidangError {
  constructor() {
    super('VERIFY_ABORTED', 'busy', '服务停止，校验中断');
  }
}

const alreadyRunning = () => conflict('VERIFY_RUNNING', '已有一次完整性校验正在进行，请等它结束后再开始');
const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

/** Creates a running row and its job in one transaction; refused while another run is in progress. */
export async function startVerifyRun(
  db: Db,
  actor: string,
  options: { deep?: boolean } = {},
): Promise<number> {
  const deep = options.deep ?? false;
  try {
    return await inTransaction(db, async (trx) => {
      if (await runningVerifyRun(trx)) throw alreadyRunning();
      const runId = await insertVerifyRun(trx, { via: 'api', actor, deep });
      const payload: VerifyRunJob = { runId, actor, deep };
      await enqueueJob(trx, { kind: VERIFY_RUN_JOB, payload: { ...payload }, maxAttempts: 3 });
      return runId;
    });
  } catch (error) {
    // Two requests at once: the database's one-running-run index refuses the second.
    if (isUniqueViolation(error)) throw alreadyRunning();
    throw error;
  }
}

/** Whether a run is in progress (on any server sharing the database). */
export async function verifyInProgress(db: Db): Promise<boolean> {
  return (await runningVerifyRun(db)) !== undefined;
}

export function verifyRunJob(context: VerifyContext): JobDefinition<VerifyRunJob> {
  return {
    kind: VERIFY_RUN_JOB,
    concurrency: 1,
    leaseSeconds: VERIFY_LEASE_SECONDS,
    run: async ({ runId, actor, deep }, job) => {
      // An earlier attempt recorded the verdict before its job was marked done: nothing is left.
      if ((await findVerifyRun(context.db, runId))?.status !== 'running') return;
      let reported = 0;
      let writes = Promise.resolve();
      const onProgress = (stage: string, done: number, total: number) => {
        if (job.signal.aborted) throw new VerifyInterrupted();
        const now = Date.now();
        if (now - reported < PROGRESS_EVERY_MS && done < total) return;
        reported = now;
        // The administrator's jobs view shows how far it is; the renewal says this server is alive.
        writes = writes
          .then(() => job.progress(done, total, stage))
          .then(() => job.renew())
          .catch(() => {});
      };
      try {
        await recordedVerify(context, { deep, onProgress }, actor, { id: runId, holds: job.holds });
      } catch (error) {
        // Given up: the job fails and is taken again later (or by another server).
        if (leftRunning(error)) throw error;
        // Otherwise the run is recorded as failed with its reason, where people look; no retry helps.
      } finally {
        await writes;
      }
    },
    // Every attempt cut short (servers killed mid-run): the run ends failed rather than stays running.
    onDead: async (trx, { runId }, error) => {
      await endVerifyRun(trx, runId, { status: 'failed', error: clip(`校验未能完成：${error}`, 500) });
    },
  };
}
