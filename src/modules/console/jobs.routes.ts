import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { requestActor } from '../../http/request.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { JOB_STATES, jobById, jobOverview, retryDeadJob } from '../jobs/job.service.js';

// Background jobs for the 系统管理员: counts and lists by state with progress and last error, one
// job, and a dead job queued again (logged as job.retried). Payloads name archives by 档号 only.

const tags = ['系统'];

const StateSchema = Type.Union(
  JOB_STATES.map((state) => Type.Literal(state)),
  { description: 'queued 排队 / retry 等待重试 / running 执行中 / done 已完成 / dead 失败（死信）' },
);

const JobSchema = Type.Object({
  id: Type.Integer({ description: '任务编号' }),
  kind: Type.String({ description: '任务类型（如 check.after-filing、ocr.page、integrity.checkpoint）' }),
  kindLabel: Type.String({ description: '任务类型的中文名' }),
  state: StateSchema,
  stateLabel: Type.String({ description: '状态的中文名' }),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: '任务参数（只以档号等编号指明记录）' }),
  attempts: Type.Integer({ minimum: 0 }),
  maxAttempts: Type.Integer({ minimum: 1 }),
  runAt: Type.String({ format: 'date-time', description: '最早执行时间（重试时为下次尝试时间）' }),
  leaseUntil: Nullable(Type.String({ format: 'date-time' })),
  worker: Nullable(Type.String({ description: '执行它的服务进程（主机:进程号）' })),
  progress: Nullable(
    Type.Object({
      done: Type.Number(),
      total: Nullable(Type.Number()),
      note: Type.Optional(Type.String()),
    }),
  ),
  lastError: Nullable(Type.String({ description: '最近一次失败的原因' })),
  schedule: Nullable(Type.String({ description: '由哪个定时计划产生' })),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

const CountsSchema = Type.Object({
  queued: Type.Integer(),
  retry: Type.Integer(),
  running: Type.Integer(),
  done: Type.Integer(),
  dead: Type.Integer(),
});

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

export const jobRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/jobs',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '后台任务：各状态数量与列表（新的在前）',
        querystring: Type.Object({
          state: Type.Optional(StateSchema),
          kind: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '只列编号小于此值的任务（翻页）' })),
        }),
        response: {
          200: Type.Object({
            counts: CountsSchema,
            states: Type.Array(
              Type.Object({ state: StateSchema, label: Type.String(), count: Type.Integer({ minimum: 0 }) }),
              { description: '各状态的中文名与数量' },
            ),
            jobs: Type.Array(JobSchema),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => jobOverview(db, request.query),
  );

  app.get(
    '/jobs/:id',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '一个后台任务（含进度与最近的错误）',
        params: IdParams,
        response: { 200: JobSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => jobById(db, request.params.id),
  );

  app.post(
    '/jobs/:id/retry',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '重试失败（死信）的后台任务：重新排队，尝试次数清零，记入事件日志',
        params: IdParams,
        response: { 200: JobSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => retryDeadJob(db, request.params.id, requestActor(request)),
  );
};
