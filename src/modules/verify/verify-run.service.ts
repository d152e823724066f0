import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, YidangError } from '../../shared/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { type VerifyOptions, type VerifyReport, verifyAll } from './verify.service.js';
import {
  endVerifyRun,
  insertVerifyRun,
  listVerifyRuns,
  type VerifyOutcome,
  type VerifyRunRow,
} from './verify-run.repo.js';

// Verify runs kept as history: `yidang verify` and the console's “校验” button both go through
// recordedVerify, which stores the verdict and logs an integrity.verified event in one transaction.

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

/**
 * Runs verifyAll and records it: a new finished row (the CLI) or the end of the running row `runId`
 * (a run started from the console), with its event. A run that fails is marked failed and rethrown.
 */
export async function recordedVerify(
  context: VerifyContext,
  options: VerifyOptions,
  actor: string,
  runId?: number,
): Promise<RecordedVerify> {
  const { db } = context;
  const startedAt = new Date();
  const deep = options.deep ?? false;
  // The row's end: the running row is closed, or (from the CLI) the whole row written at once.
  const save = async (trx: Db, end: Parameters<typeof endVerifyRun>[2]): Promise<number> => {
    if (runId !== undefined) {
      await endVerifyRun(trx, runId, end);
      return runId;
    }
    const row = { ...end, via: 'cli' as const, actor, deep, started_at: startedAt, finished_at: new Date() };
    return insertVerifyRun(trx, row);
  };
  let report: VerifyReport;
  try {
    report = await verifyAll(context, options);
  } catch (error) {
    await save(db, { status: 'failed', error: messageOf(error) }).catch(() => {});
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
    // A log too damaged to append to must not hide the verdict: keep the row alone and say why.
    const recordError = `校验结果未能记入事件日志：${messageOf(error)}`;
    const id = await save(db, { ...outcome, error: recordError }).catch(() => null);
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

/**
 * Verify runs started from the console, one at a time, in the background of the server. A run never
 * rejects into the process (its failure is recorded and reported to onError); close() stops the run
 * at its next progress step and waits for it.
 */
export class VerifyRunner {
  private task: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly context: VerifyContext,
    private readonly onError: (error: Error) => void,
  ) {}

  get running(): boolean {
    return this.task !== undefined;
  }

  /** Creates the run's row and starts it; resolves with its id once the row exists. */
  start(actor: string, options: { deep?: boolean } = {}): Promise<number> {
    if (this.closing)
      return Promise.reject(new YidangError('SERVER_STOPPING', 'busy', '服务正在停止，不能开始校验'));
    if (this.task)
      return Promise.reject(conflict('VERIFY_RUNNING', '已有一次完整性校验正在进行，请等它结束后再开始'));
    const deep = options.deep ?? false;
    // The row is claimed before any await, so a second request in the meantime finds the run.
    const created = insertVerifyRun(this.context.db, { via: 'api', actor, deep });
    this.task = created
      .then(
        (id) => this.work(id, actor, deep),
        () => {},
      )
      .finally(() => {
        this.task = undefined;
      });
    return created;
  }

  private async work(id: number, actor: string, deep: boolean): Promise<void> {
    const onProgress = () => {
      if (this.closing) throw new YidangError('VERIFY_ABORTED', 'busy', '服务停止，校验中断');
    };
    try {
      await recordedVerify(this.context, { deep, onProgress }, actor, id);
    } catch (error) {
      this.onError(error as Error);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.task;
  }
}
