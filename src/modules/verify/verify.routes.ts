import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { requestActor } from '../../http/request.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import { startVerifyRun, verifyInProgress, verifyRuns } from './verify-run.service.js';

// The history of `yidang verify` and starting one from the console. A run started here is a job
// (verify.run) the server's job workers take, one run at a time across every server on the database.

const tags = ['完整性'];

export const VerifyRunSchema = Type.Object({
  id: Type.Integer({ description: '校验编号' }),
  status: Type.Union([Type.Literal('running'), Type.Literal('finished'), Type.Literal('failed')], {
    description: 'running 进行中 / finished 已完成（见 ok）/ failed 未能完成（见 error）',
  }),
  via: Type.Union([Type.Literal('cli'), Type.Literal('api')], {
    description: 'cli 命令行 yidang verify / api 控制台发起',
  }),
  actor: Type.String({ description: '发起人' }),
  deep: Type.Boolean({ description: '是否解密每个文件并校验内容摘要' }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  ok: Nullable(Type.Boolean({ description: '校验结论：true 全部完整；进行中或未完成时为 null' })),
  problemCount: Nullable(Type.Integer({ description: '发现的问题数' })),
  firstProblem: Nullable(
    Type.String({ description: '第一处问题（只以档号、事件序号或文件摘要指明记录，不含个人信息）' }),
  ),
  events: Nullable(Type.Integer({ description: '校验的事件数' })),
  items: Nullable(Type.Integer({ description: '校验的档案数' })),
  files: Nullable(Type.Integer({ description: '校验的挂接文件数' })),
  blobs: Nullable(Type.Integer({ description: '校验的存储文件数' })),
  error: Nullable(Type.String({ description: '未能完成或未能记入事件日志的原因' })),
});

export const verifyRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
}> = async (app, { db }) => {
  app.get(
    '/integrity/verify-runs',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '完整性校验记录（新的在前）',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '只列编号小于此值的记录（翻页）' })),
        }),
        response: {
          200: Type.Object({
            runs: Type.Array(VerifyRunSchema),
            running: Type.Boolean({ description: '是否正有一次校验在进行' }),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => ({
      runs: await verifyRuns(db, request.query.limit ?? 20, request.query.before),
      running: await verifyInProgress(db),
    }),
  );

  app.post(
    '/integrity/verify-runs',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '开始一次完整性校验（在后台进行，同一时间只能有一次）',
        description:
          '重算事件日志、默克尔树、检查点签名、档案、挂接文件与各副本上的文件摘要（同 yidang verify）。' +
          '立即返回校验编号，进度与结论见 GET /integrity/verify-runs。',
        body: Type.Optional(
          Type.Object(
            { deep: Type.Optional(Type.Boolean({ description: '同时解密每个文件并校验内容摘要（较慢）' })) },
            { additionalProperties: false },
          ),
        ),
        response: {
          202: Type.Object({
            id: Type.Integer({ description: '校验编号' }),
            status: Type.Literal('running'),
          }),
          ...errorResponses(400, 401, 403, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const id = await startVerifyRun(db, requestActor(request), { deep: request.body?.deep });
      return reply.status(202).send({ id, status: 'running' as const });
    },
  );
};
