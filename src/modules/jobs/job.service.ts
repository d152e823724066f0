import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, notFound } from '../../shared/errors.js';
import { maskIdLikeRuns, maskIdsDeep } from '../../shared/id-in-text.js';
import { recordEvent } from '../integrity/event-log.js';
import { getJob, jobCounts, listJobs, requeueDead, type JobRow } from './job.repo.js';
import type { JobProgress, JobState } from './jobs.tables.js';

// What the 系统管理员 sees of background work: jobs by state with their progress and last error,
// and a dead job queued again (a typed event, in the same transaction). Payloads name archives by
// 档号 only; anything ID-like is masked on the way out all the same.

export const JOB_STATES: readonly JobState[] = ['queued', 'retry', 'running', 'done', 'dead'];

/** The names people read (the console and the CLI take them from here, through the API or directly). */
export const JOB_STATE_LABELS: Readonly<Record<JobState, string>> = {
  queued: '排队',
  retry: '等待重试',
  running: '执行中',
  done: '已完成',
  dead: '失败（死信）',
};

export const JOB_KIND_LABELS: Readonly<Record<string, string>> = {
  'check.after-filing': '归档后四性检测',
  'ocr.page': '扫描页文字识别',
  'integrity.checkpoint': '签发检查点',
  'verify.run': '完整性校验',
  'storage.fixity': '定期固定性检查',
  'notices.deliver': '投递通知（邮件/短信网关）',
  'loan.reminders': '借阅到期提醒',
  'expiry.refresh': '刷新到期档案清单',
  'destruction.carry': '执行销毁清册',
  'transfer.export': '导出移交包',
  'fund.run': '智能审核运行',
};

export interface JobView {
  id: number;
  kind: string;
  kindLabel: string;
  state: JobState;
  stateLabel: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  leaseUntil: string | null;
  worker: string | null;
  progress: JobProgress | null;
  lastError: string | null;
  schedule: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function toJobView(job: JobRow): JobView {
  return {
    id: job.id,
    kind: job.kind,
    kindLabel: JOB_KIND_LABELS[job.kind] ?? job.kind,
    state: job.state,
    stateLabel: JOB_STATE_LABELS[job.state],
    payload: maskIdsDeep(job.payload),
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt.toISOString(),
    leaseUntil: job.leaseUntil?.toISOString() ?? null,
    worker: job.worker,
    progress: job.progress,
    lastError: job.lastError === null ? null : maskIdLikeRuns(job.lastError),
    schedule: job.schedule,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export async function jobOverview(
  db: Db,
  filter: { state?: JobState; kind?: string; limit?: number; before?: number } = {},
): Promise<{
  counts: Record<JobState, number>;
  states: Array<{ state: JobState; label: string; count: number }>;
  jobs: JobView[];
}> {
  const [counts, jobs] = await Promise.all([
    jobCounts(db),
    listJobs(db, { ...filter, limit: filter.limit ?? 50 }),
  ]);
  const states = JOB_STATES.map((state) => ({ state, label: JOB_STATE_LABELS[state], count: counts[state] }));
  return { counts, states, jobs: jobs.map(toJobView) };
}

export async function jobById(db: Db, id: number): Promise<JobView> {
  const job = await getJob(db, id);
  if (!job) throw notFound('JOB_NOT_FOUND', `后台任务 ${id} 不存在`);
  return toJobView(job);
}

/** An administrator queues a dead job again, with fresh attempts; logged as job.retried. */
export async function retryDeadJob(db: Db, id: number, actor: string, now = new Date()): Promise<JobView> {
  return inTransaction(db, async (trx) => {
    const job = await getJob(trx, id);
    if (!job) throw notFound('JOB_NOT_FOUND', `后台任务 ${id} 不存在`);
    if (!(await requeueDead(trx, id, now)))
      throw conflict('JOB_NOT_DEAD', `后台任务 ${id} 未处于失败（死信）状态，无需重试`);
    recordEvent(trx, {
      actor,
      action: 'job.retried',
      subject: `job:${id}`,
      payload: { kind: job.kind, attempts: job.attempts, lastError: job.lastError },
    });
    return toJobView((await getJob(trx, id)) as JobRow);
  });
}
