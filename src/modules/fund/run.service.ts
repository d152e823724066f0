import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { enqueueJob, type JobDefinition, JobLost } from '../jobs/job.runtime.js';
import { regionPrefix } from '../access/principal.js';
import { listRuleSettings } from './rule.repo.js';
import { findRule } from './rule.service.js';
import type { RunCounts, RunRules } from './rule.tables.js';
import { RULES } from './rules/index.js';
import { defaultParams } from './rules/params.js';
import { evaluateRule } from './run.evaluate.js';
import { findRun, insertRun, listRunRows, markRun, type RunRow, setRunJob } from './run.repo.js';
import { fundRegions } from './settlement.scope.js';

// 审核运行: the active rules (or those named) over the settlements of a region prefix settled in a
// period. The run keeps each rule's version, revision and parameters as they were when it started, so
// evaluating it again (a retried job) gives the same clues. From the console and the API it is a job
// (fund.run) with progress per rule; the CLI evaluates it in place.

export const FUND_RUN_JOB = 'fund.run';

export interface RunOrder {
  /** A region code or prefix (320115, 3201, 320100); absent: the caller's only region, or every region. */
  region?: string;
  from: string;
  to: string;
  /** Rule codes; absent: every active rule. */
  rules?: string[];
}

export interface RunRuleView {
  code: string;
  name: string;
  version: number;
  revision: number;
  params: Record<string, number | string[]>;
  hits: number | null;
  ms: number | null;
}

export interface RunView {
  id: number;
  region: string;
  from: string;
  to: string;
  state: RunRow['state'];
  rules: RunRuleView[];
  clues: number;
  done: number;
  jobId: number | null;
  error: string | null;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 3660;

function checkDate(value: string, label: string): string {
  const text = String(value ?? '').trim();
  const parsed = new Date(`${text}T00:00:00Z`);
  if (!DATE.test(text) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text)
    throw invalid('FUND_RUN_INVALID', `${label}应为 YYYY-MM-DD 格式的日期，收到“${text.slice(0, 20)}”`);
  return text;
}

export function toRunView(row: RunRow): RunView {
  const counts: RunCounts = row.counts ?? {};
  const rules = Object.entries(row.rules).map(([code, used]) => ({
    code,
    name: RULES.find((rule) => rule.code === code)?.name ?? code,
    version: used.version,
    revision: used.revision,
    params: used.params,
    hits: counts[code]?.hits ?? null,
    ms: counts[code]?.ms ?? null,
  }));
  return {
    id: row.id,
    region: row.region_prefix,
    from: row.period_from,
    to: row.period_to,
    state: row.state,
    rules,
    clues: rules.reduce((sum, rule) => sum + (rule.hits ?? 0), 0),
    done: rules.filter((rule) => rule.hits !== null).length,
    jobId: row.job_id,
    error: row.error,
    startedBy: row.started_by,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

async function runRegion(db: Db, access: AccessContext, asked: string | undefined): Promise<string> {
  const regions = await fundRegions(db, access);
  if (asked !== undefined && asked.trim() !== '') {
    const text = asked.trim();
    if (!/^\d{2,6}$/.test(text) || text.length % 2 !== 0)
      throw invalid(
        'FUND_RUN_INVALID',
        `地区应为行政区划代码或其前缀（如 320115、3201），收到“${text.slice(0, 12)}”`,
      );
    const prefix = text.length === 6 ? regionPrefix(text) : text;
    if (regions !== null && !regions.some((reached) => prefix.startsWith(reached)))
      throw invalid('FUND_RUN_INVALID', `地区 ${text} 不在您的范围内`);
    return prefix;
  }
  if (regions === null) return '';
  const [only, ...others] = regions;
  if (only === undefined) throw invalid('FUND_RUN_INVALID', '您的范围不含任何地区，不能运行审核');
  if (others.length > 0)
    throw invalid(
      'FUND_RUN_INVALID',
      `您的范围含多个地区（${regions.join('、')}），请指明审核的地区（region）`,
    );
  return only;
}

/** Checks the order, records the run with the rules' settings as they are, and queues its job (or not). */
export async function startRun(
  db: Db,
  access: AccessContext,
  order: RunOrder,
  options: { background: boolean },
): Promise<RunView> {
  if (access.kind === 'principal') access.authorize('fund.rules');
  const from = checkDate(order.from, '起始日期');
  const to = checkDate(order.to, '截止日期');
  if (to < from) throw invalid('FUND_RUN_INVALID', `截止日期 ${to} 早于起始日期 ${from}`);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 > MAX_DAYS)
    throw invalid('FUND_RUN_INVALID', '一次审核的期间不能超过 10 年');
  const region = await runRegion(db, access, order.region);
  const settings = new Map((await listRuleSettings(db)).map((row) => [row.rule_code, row]));
  const chosen =
    order.rules && order.rules.length > 0
      ? [...new Set(order.rules)].map((code) => findRule(code))
      : RULES.filter((rule) => settings.get(rule.code)?.active ?? true);
  if (chosen.length === 0)
    throw invalid('FUND_RUN_NO_RULES', '没有启用的审核规则，请先启用规则或指明要运行的规则');
  const rules: RunRules = Object.fromEntries(
    chosen.map((rule) => {
      const setting = settings.get(rule.code);
      return [
        rule.code,
        {
          version: setting?.version ?? 1,
          revision: rule.revision,
          params: { ...defaultParams(rule), ...(setting?.params ?? {}) },
        },
      ];
    }),
  );
  const actor = actorIn(access);
  const id = await inTransaction(db, async (trx) => {
    const id = await insertRun(trx, { region, from, to, rules, by: actor, state: 'queued' });
    if (options.background) {
      const jobId = await enqueueJob(trx, {
        kind: FUND_RUN_JOB,
        payload: { runId: id },
        key: `fund-run:${id}`,
      });
      await setRunJob(trx, id, jobId);
    }
    recordEvent(trx, {
      actor,
      action: 'fund.run_started',
      subject: `fund-run:${id}`,
      payload: {
        region,
        from,
        to,
        rules: Object.fromEntries(
          Object.entries(rules).map(([code, used]) => [
            code,
            { version: used.version, revision: used.revision },
          ]),
        ),
      },
    });
    return id;
  });
  return toRunView((await findRun(db, id)) as RunRow);
}

export interface RunHooks {
  holds?(trx: Db): Promise<void>;
  progress?(done: number, total: number, note: string): Promise<void>;
}

/**
 * Evaluates every rule of the run, each in its own transaction (its clues replaced), and records the
 * counts and the end. Used by the job and by the CLI.
 */
export async function executeRun(
  db: Db,
  runId: number,
  actor: string,
  hooks: RunHooks = {},
): Promise<RunView> {
  const row = await findRun(db, runId);
  if (!row) throw notFound('FUND_RUN_NOT_FOUND', `审核运行 ${runId} 不存在`);
  const scope = { regionPrefix: row.region_prefix, from: row.period_from, to: row.period_to };
  const entries = Object.entries(row.rules);
  if (row.state === 'finished') return toRunView(row);
  // A rule already counted was evaluated by an earlier attempt, its clues committed with its count:
  // a retried job goes on from the next rule and never replaces clues a case may already hold.
  const counts: RunCounts = { ...(row.counts ?? {}) };
  await inTransaction(db, async (trx) => {
    await hooks.holds?.(trx);
    await markRun(trx, runId, { state: 'running', counts, error: null });
  });
  let done = Object.keys(counts).length;
  for (const [code, used] of entries) {
    if (counts[code] !== undefined) continue;
    const rule = findRule(code);
    await hooks.progress?.(done, entries.length, `${rule.name}`);
    const started = performance.now();
    const hits = await inTransaction(db, async (trx) => {
      await hooks.holds?.(trx);
      const hits = await evaluateRule(trx, {
        runId,
        rule,
        version: used.version,
        params: used.params,
        scope,
      });
      counts[code] = { hits, ms: Math.round(performance.now() - started) };
      await markRun(trx, runId, { state: 'running', counts });
      return hits;
    });
    done += 1;
    await hooks.progress?.(done, entries.length, `${rule.name}：${hits} 条线索`);
  }
  await inTransaction(db, async (trx) => {
    await hooks.holds?.(trx);
    await markRun(trx, runId, { state: 'finished', counts, finished: true });
    recordEvent(trx, {
      actor,
      action: 'fund.run_finished',
      subject: `fund-run:${runId}`,
      payload: {
        clues: Object.values(counts).reduce((sum, count) => sum + count.hits, 0),
        hits: Object.fromEntries(Object.entries(counts).map(([code, count]) => [code, count.hits])),
      },
    });
  });
  return toRunView((await findRun(db, runId)) as RunRow);
}

const messageOf = (error: unknown) => String((error as Error)?.message ?? error).slice(0, 1000);

/** The job of a run started from the console or the API. */
export function fundRunJob(db: Db): JobDefinition<{ runId: number }> {
  return {
    kind: FUND_RUN_JOB,
    // One rule over ten million lines takes minutes; the lease is renewed before each rule.
    leaseSeconds: 1800,
    async run(payload, context) {
      const row = await findRun(db, payload.runId);
      if (!row || row.state === 'finished') return;
      await executeRun(db, payload.runId, row.started_by, {
        holds: (trx) => context.holds(trx),
        progress: async (done, total, note) => {
          await context.renew(1800);
          await context.progress(done, total, note);
        },
      }).catch(async (error) => {
        if (!(error instanceof JobLost) && context.lastAttempt)
          await markRun(db, payload.runId, { state: 'failed', error: messageOf(error), finished: true });
        throw error;
      });
    },
    async onDead(trx, payload, error) {
      await markRun(trx, payload.runId, { state: 'failed', error: error.slice(0, 1000), finished: true });
      recordEvent(trx, {
        actor: 'system:jobs',
        action: 'fund.run_failed',
        subject: `fund-run:${payload.runId}`,
        payload: { error: error.slice(0, 500) },
      });
    },
  };
}

/** Runs over regions the caller reaches, newest first. */
export async function listRuns(
  db: Db,
  access: AccessContext,
  page: { limit?: number; before?: number } = {},
): Promise<RunView[]> {
  if (access.kind === 'principal') access.authorize('fund.read');
  const regions = await fundRegions(db, access);
  const rows = await listRunRows(db, regions, Math.min(Math.max(page.limit ?? 20, 1), 200), page.before);
  return rows.map(toRunView);
}

export async function showRun(db: Db, access: AccessContext, id: number): Promise<RunView> {
  if (access.kind === 'principal') access.authorize('fund.read');
  const row = Number.isSafeInteger(id) && id > 0 ? await findRun(db, id) : undefined;
  const regions = await fundRegions(db, access);
  if (!row || (regions !== null && !regions.some((prefix) => row.region_prefix.startsWith(prefix))))
    throw notFound('FUND_RUN_NOT_FOUND', `审核运行 ${id} 不存在`);
  return toRunView(row);
}
