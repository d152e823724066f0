import type { Command } from 'commander';
import { JOB_STATES, jobOverview, retryDeadJob } from '../../modules/jobs/job.service.js';
import { invalid } from '../../shared/errors.js';
import { actor, clip, parsePositiveInt, printJson, printTable, withDatabase } from '../context.js';

// The states a job can be in, named by the jobs module (its tables file is its own).
type JobState = (typeof JOB_STATES)[number];

// yidang job: the background jobs (checks after filing, OCR pages, scheduled checkpoints) as the
// 系统管理员's console shows them, and a dead job queued again. Operator commands on the server.

function parseState(value: string | undefined): JobState | undefined {
  if (value === undefined) return undefined;
  if (!(JOB_STATES as readonly string[]).includes(value))
    throw invalid('VALIDATION_FAILED', `--state 应为 ${JOB_STATES.join('、')} 之一`);
  return value as JobState;
}

export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('后台任务：四性检测、文字识别、定时检查点等');

  job
    .command('list')
    .description('列出后台任务（新的在前）与各状态的数量')
    .option('--state <状态>', `只列该状态：${JOB_STATES.join('、')}`)
    .option('--kind <类型>', '只列该类型，如 check.after-filing、ocr.page')
    .option('--limit <条数>', '最多列出几条（默认 50）')
    .option('--json', '输出 JSON')
    .action(async (options: { state?: string; kind?: string; limit?: string; json?: boolean }) => {
      const overview = await withDatabase((database) =>
        jobOverview(database.db, {
          state: parseState(options.state),
          kind: options.kind,
          limit: options.limit === undefined ? 50 : parsePositiveInt(options.limit, '--limit', 1000),
        }),
      );
      if (options.json) return printJson(overview);
      process.stdout.write(`${overview.states.map((state) => `${state.label} ${state.count}`).join('，')}\n`);
      printTable(
        ['编号', '类型', '状态', '尝试', '进度', '参数', '执行时间', '最近的错误'],
        overview.jobs.map((row) => [
          row.id,
          row.kindLabel,
          row.stateLabel,
          `${row.attempts}/${row.maxAttempts}`,
          row.progress
            ? `${row.progress.done}${row.progress.total === null ? '' : `/${row.progress.total}`}`
            : '',
          clip(
            Object.entries(row.payload)
              .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
              .join(' '),
            60,
          ),
          row.runAt,
          row.lastError === null ? '' : clip(row.lastError, 40),
        ]),
      );
    });

  job
    .command('retry <编号>')
    .description('重试失败（死信）的任务：重新排队，尝试次数清零，记入事件日志')
    .action(async (id: string) => {
      const retried = await withDatabase((database) =>
        retryDeadJob(database.db, parsePositiveInt(id, '编号'), actor()),
      );
      process.stdout.write(`任务 ${retried.id}（${retried.kindLabel}）已重新排队\n`);
    });
}
