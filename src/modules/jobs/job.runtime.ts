import os from 'node:os';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { maskIdLikeRuns } from '../../shared/id-in-text.js';
import {
  claimJob,
  dropLease,
  failJob,
  finishJob,
  insertJob,
  type JobClaim,
  type JobRow,
  jobHolders,
  jobWaiting,
  lapseLeases,
  lockClaim,
  type NewJob,
  renewClaim,
  type Schedule,
  setProgress,
  takeDueRun,
  takeLease,
  upsertSchedule,
} from './job.repo.js';

// The job runtime: background work as rows in the job table, claimed by workers with a lease
// (FOR UPDATE SKIP LOCKED), retried with exponential backoff, dead after its last attempt, and made by
// recurring schedules whose each run one server takes. Handlers are registered by kind by the
// composition root (src/system, the serve command); callers enqueue in their own transaction.

export const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_LEASE_SECONDS = 300;

export type Clock = () => Date;

/** The claim was lost (its lease ran out and another worker took the job): nothing may be written. */
export class JobLost extends Error {
  constructor() {
    super('job lease lost');
  }
}

export interface JobContext {
  job: JobRow;
  /** No attempt follows this one if it fails. */
  lastAttempt: boolean;
  /** Records how far the job is (the administrator's view shows it). */
  progress(done: number, total?: number | null, note?: string): Promise<void>;
  /**
   * Inside the handler's own transaction: locks the job and throws JobLost unless this attempt still
   * holds it, so a late write by an abandoned attempt commits nothing.
   */
  holds(trx: Db): Promise<void>;
  /** Extends the lease of a long job. */
  renew(seconds?: number): Promise<void>;
  /** Aborted when the server stops: a long job may give up and be taken again (it fails, then retries). */
  signal: AbortSignal;
}

export interface JobDefinition<Payload = Record<string, unknown>> {
  kind: string;
  run(payload: Payload, context: JobContext): Promise<void>;
  /** Workers of this kind per server (default 1). */
  concurrency?: number;
  /** Longer than one attempt may take: a job still running after it was abandoned. */
  leaseSeconds?: number;
  /** Wait before attempt n+1 after n failures (default 10 s · 2^(n-1), at most an hour). */
  backoffSeconds?(failures: number): number;
  /** In the transaction that marks the job dead: the owner records the failure where people look. */
  onDead?(trx: Db, payload: Payload, error: string): Promise<void>;
}

export const defaultBackoff = (failures: number) => Math.min(3600, 10 * 2 ** (failures - 1));

/** Adds a job in `db` (the caller's transaction, so the job commits with the change it follows). */
export function enqueueJob(db: Db, job: NewJob): Promise<number | null> {
  return insertJob(db, job, DEFAULT_MAX_ATTEMPTS);
}

/** Whether a job of `kind` with a payload containing `match` waits to run (another page of an item). */
export function isJobWaiting(db: Db, kind: string, match: Record<string, unknown>): Promise<boolean> {
  return jobWaiting(db, kind, match);
}

export type JobOutcome = 'done' | 'retry' | 'dead' | 'lost';

const HOST = os.hostname();

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface RuntimeOptions {
  clock?: Clock;
  /** This process as named on the jobs it holds: host:pid, so a dead process on this host is known. */
  worker?: string;
  /** How often an idle worker looks for work and the scheduler for due runs (ms). */
  pollMs?: number;
  onError?(error: Error, kind?: string): void;
}

export interface RunningWorkers {
  stop(): Promise<void>;
}

export class JobRuntime {
  private readonly definitions = new Map<string, JobDefinition<never>>();
  private readonly schedules = new Map<string, Schedule>();
  readonly worker: string;
  private readonly clock: Clock;
  /** Aborted by stop(): handlers of long jobs see it in their context. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly options: RuntimeOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.worker = options.worker ?? `${HOST}:${process.pid}`;
  }

  register<Payload>(definition: JobDefinition<Payload>): this {
    if (this.definitions.has(definition.kind))
      throw new Error(`job kind ${definition.kind} registered twice`);
    this.definitions.set(definition.kind, definition as JobDefinition<never>);
    return this;
  }

  /** A recurring run of `kind` every `everySeconds`, taken by one server each time it is due. */
  schedule(schedule: Schedule): this {
    this.schedules.set(schedule.name, schedule);
    return this;
  }

  get kinds(): string[] {
    return [...this.definitions.keys()];
  }

  /** Writes the schedules (first runs one period from now, or kept where an earlier start put them). */
  async saveSchedules(): Promise<void> {
    const now = this.clock();
    for (const schedule of this.schedules.values())
      await upsertSchedule(this.db, schedule, new Date(now.getTime() + schedule.everySeconds * 1000));
  }

  /** Enqueues each due schedule's run once across every server; returns how many runs this one took. */
  async tickSchedules(): Promise<number> {
    let taken = 0;
    for (const name of this.schedules.keys()) {
      const made = await inTransaction(this.db, async (trx) => {
        const run = await takeDueRun(trx, name, this.clock());
        if (!run) return false;
        // A run still waiting from the last time absorbs this one (checkpoints do not pile up).
        await insertJob(
          trx,
          {
            kind: run.kind,
            payload: run.payload,
            schedule: name,
            key: `schedule:${name}`,
            runAt: this.clock(),
          },
          DEFAULT_MAX_ATTEMPTS,
        );
        return true;
      });
      if (made) taken++;
    }
    return taken;
  }

  /** Makes at once claimable the jobs held by processes on this host that are gone (a killed server). */
  async releaseDeadWorkers(): Promise<number> {
    let released = 0;
    for (const worker of await jobHolders(this.db, `${HOST}:`)) {
      const pid = Number(worker.slice(HOST.length + 1));
      if (worker !== this.worker && Number.isInteger(pid) && pid > 0 && !processAlive(pid))
        released += await lapseLeases(this.db, worker, this.clock());
    }
    return released;
  }

  /** Claims and runs one due job of `kinds`; undefined when none is due. */
  async runNext(
    kinds: readonly string[] = this.kinds,
  ): Promise<{ job: JobRow; outcome: JobOutcome } | undefined> {
    const leaseOf = (kind: string) => this.definitions.get(kind)?.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    const lease = Math.max(...kinds.map(leaseOf));
    const job = await claimJob(this.db, kinds, this.worker, lease, this.clock());
    if (!job) return undefined;
    return { job, outcome: await this.runClaimed(job) };
  }

  private async runClaimed(job: JobRow): Promise<JobOutcome> {
    const definition = this.definitions.get(job.kind);
    const claim: JobClaim = { id: job.id, worker: this.worker, attempts: job.attempts };
    if (!definition) return this.fail(job, claim, undefined, `没有登记“${job.kind}”类任务的处理程序`, true);
    if (job.attempts > job.maxAttempts)
      return this.fail(
        job,
        claim,
        definition,
        `已尝试 ${job.maxAttempts} 次均未完成（进程中断或超时）`,
        true,
      );
    const context: JobContext = {
      job,
      lastAttempt: job.attempts >= job.maxAttempts,
      progress: async (done, total = null, note) => {
        await setProgress(this.db, claim, note === undefined ? { done, total } : { done, total, note });
      },
      holds: async (trx) => {
        if (!(await lockClaim(trx, claim))) throw new JobLost();
      },
      renew: async (seconds = definition.leaseSeconds ?? DEFAULT_LEASE_SECONDS) => {
        await renewClaim(this.db, claim, new Date(this.clock().getTime() + seconds * 1000));
      },
      signal: this.stopping.signal,
    };
    try {
      await definition.run(job.payload as never, context);
    } catch (error) {
      if (error instanceof JobLost) return 'lost';
      // Kept for the administrator to read: an ID number a message quoted is masked before it is stored.
      const message = maskIdLikeRuns((error as Error)?.message?.split('\n')[0] || '未知错误');
      return this.fail(job, claim, definition, message, job.attempts >= job.maxAttempts);
    }
    return (await finishJob(this.db, claim, this.clock())) ? 'done' : 'lost';
  }

  private async fail(
    job: JobRow,
    claim: JobClaim,
    definition: JobDefinition<never> | undefined,
    message: string,
    dead: boolean,
  ): Promise<JobOutcome> {
    const now = this.clock();
    const wait = (definition?.backoffSeconds ?? defaultBackoff)(job.attempts);
    const retryAt = dead ? null : new Date(now.getTime() + wait * 1000);
    const failed = await inTransaction(this.db, async (trx) => {
      if (!(await failJob(trx, claim, message, retryAt, now))) return false;
      if (dead) await definition?.onDead?.(trx, job.payload as never, message);
      return true;
    });
    if (!failed) return 'lost';
    return dead ? 'dead' : 'retry';
  }

  /** Runs due jobs of `kinds` until none is due (the CLI, tests, benchmarks). */
  async drain(
    kinds: readonly string[] = this.kinds,
    options: { concurrency?: number; onJob?: (job: JobRow, outcome: JobOutcome) => void } = {},
  ): Promise<Record<JobOutcome, number>> {
    const totals: Record<JobOutcome, number> = { done: 0, retry: 0, dead: 0, lost: 0 };
    await this.releaseDeadWorkers();
    const loop = async () => {
      for (let next = await this.runNext(kinds); next; next = await this.runNext(kinds)) {
        totals[next.outcome]++;
        options.onJob?.(next.job, next.outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, loop));
    return totals;
  }

  /**
   * The server's workers: per kind `concurrency` loops that run jobs back to back and, when none is
   * due, wait pollMs on an unref'ed timer; and the scheduler, looking for due runs as often. stop()
   * wakes them and waits for the jobs in hand.
   */
  async start(): Promise<RunningWorkers> {
    const pollMs = this.options.pollMs ?? 1000;
    const report = (error: unknown, kind?: string) => this.options.onError?.(error as Error, kind);
    await this.saveSchedules();
    await this.releaseDeadWorkers().catch(report);
    let stopping = false;
    const sleepers = new Set<() => void>();
    const sleep = () =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, pollMs);
        timer.unref();
        sleepers.add(wake);
      });
    const work = async (definition: JobDefinition<never>) => {
      while (!stopping) {
        let ran = false;
        try {
          ran = (await this.runNext([definition.kind])) !== undefined;
        } catch (error) {
          report(error, definition.kind);
        }
        if (!ran && !stopping) await sleep();
      }
    };
    const scheduler = async () => {
      while (!stopping) {
        try {
          await this.tickSchedules();
          await this.releaseDeadWorkers();
        } catch (error) {
          report(error);
        }
        if (!stopping) await sleep();
      }
    };
    const abort = this.stopping;
    const loops = [
      scheduler(),
      ...[...this.definitions.values()].flatMap((definition) =>
        Array.from({ length: Math.max(0, definition.concurrency ?? 1) }, () => work(definition)),
      ),
    ];
    return {
      async stop() {
        stopping = true;
        abort.abort();
        for (const wake of [...sleepers]) wake();
        await Promise.allSettled(loops);
      },
    };
  }
}

/** A named lease (one holder across servers), taken and renewed by whoever should work alone. */
export interface NamedLease {
  /** Takes or renews the lease; true while this holder has it. */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export function namedLease(
  db: Db,
  name: string,
  options: { holder?: string; seconds?: number; clock?: Clock } = {},
): NamedLease {
  const holder = options.holder ?? `${HOST}:${process.pid}`;
  const seconds = options.seconds ?? 30;
  const clock = options.clock ?? (() => new Date());
  return {
    hold: () => {
      const now = clock();
      return takeLease(db, name, holder, now, new Date(now.getTime() + seconds * 1000));
    },
    release: () => dropLease(db, name, holder),
  };
}
