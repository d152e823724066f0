import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { YidangError } from '../../shared/errors.js';
import { bagTar, startExport } from './package.js';
import { registerForm } from './register-form.js';
import { acceptReceipt } from './transfer.accept.js';
import {
  AcceptResultSchema,
  AcceptSchema,
  BatchBriefSchema,
  BatchSchema,
  DrawResultSchema,
  DrawSchema,
} from './transfer.schema.js';
import { drawBatch, withdrawBatch } from './transfer.service.js';
import { batchSource } from './transfer.source.js';
import { listBatchesFor, showBatch } from './transfer.view.js';

// 移交批次: /api/v1/transfer/batches — draw, list, show, export (a job), download the bag as a tar
// (streamed), record the receiver's 回执, withdraw, and the 登记表 as XLSX or PDF. Every route calls a
// service with the caller's access context; scope narrows every one of them.

const tags = ['移交与接收'];
const errors = errorResponses(400, 401, 403, 404, 409);
const Params = Type.Object({ code: Type.String({ maxLength: 40, description: '移交批次编号' }) });
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PERMISSION = 'transfer.manage';

function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const transferRoutes: FastifyPluginAsyncTypebox<{ db: Db; home?: string }> = async (
  app,
  { db, home },
) => {
  app.get(
    '/transfer/batches',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '移交批次列表（本人范围内的全宗，新的在前）',
        querystring: Type.Object({
          state: Type.Optional(Type.String({ maxLength: 20 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: { 200: Type.Object({ batches: Type.Array(BatchBriefSchema) }), ...errors },
      },
    },
    async (request) => ({
      batches: await listBatchesFor(db, await accessOf(request, db), {
        ...(request.query.state ? { state: request.query.state } : {}),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      }),
    }),
  );

  app.post(
    '/transfer/batches',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary:
          '编制移交批次（按全宗、类别、年度、档号、检索式，或按参保人做参保关系转移）；不能移交的逐件列出原因',
        body: DrawSchema,
        response: { 201: DrawResultSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await drawBatch(db, await accessOf(request, db), request.body)),
  );

  app.get(
    '/transfer/batches/:code',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '一个移交批次：所列档案（含不能移交的及原因）、导出的移交包摘要、接收回执',
        params: Params,
        response: { 200: BatchSchema, ...errors },
      },
    },
    async (request) => showBatch(db, await accessOf(request, db), request.params.code),
  );

  app.post(
    '/transfer/batches/:code/export',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '导出移交包（BagIt，每件一个 EEP）：后台任务，完成后可下载',
        params: Params,
        response: { 202: Type.Object({ jobId: Nullable(Type.Integer()) }), ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await startExport(db, batchSource, await accessOf(request, db), request.params.code)),
  );

  app.get(
    '/transfer/batches/:code/bag.tar',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '下载已导出的移交包（tar，流式）',
        params: Params,
        response: { 200: Type.Unknown(), ...errors },
      },
    },
    async (request, reply) => {
      if (!home) throw new YidangError('TRANSFER_STATE', 'conflict', '本服务未配置数据目录，不能下载移交包');
      const { stream, name } = await bagTar(
        { db, home, batches: batchSource },
        await accessOf(request, db),
        request.params.code,
      );
      return reply
        .header('content-type', 'application/x-tar')
        .header('content-disposition', attachment(name))
        .send(stream);
    },
  );

  app.post(
    '/transfer/batches/:code/accept',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '登记接收方的回执（签名、批次与移交包摘要须相符）：接收的档案标记为已移交，只读保存',
        params: Params,
        body: AcceptSchema,
        response: { 200: AcceptResultSchema, ...errors },
      },
    },
    async (request) =>
      acceptReceipt(
        db,
        await accessOf(request, db),
        request.params.code,
        Buffer.from(request.body.receipt, 'utf8'),
        { home },
      ),
  );

  app.post(
    '/transfer/batches/:code/withdraw',
    {
      config: { permission: PERMISSION },
      schema: {
        tags,
        summary: '撤销尚未登记回执的移交批次（须说明原因），所列档案可重新编制',
        params: Params,
        body: Type.Object({ reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: BatchSchema, ...errors },
      },
    },
    async (request) => {
      const access = await accessOf(request, db);
      await withdrawBatch(db, access, request.params.code, request.body.reason, { home });
      return showBatch(db, access, request.params.code);
    },
  );

  for (const format of ['xlsx', 'pdf'] as const)
    app.get(
      `/transfer/batches/:code/form.${format}`,
      {
        config: { permission: PERMISSION },
        schema: {
          tags,
          summary: `电子档案移交与接收登记表（${format === 'xlsx' ? 'XLSX' : '可打印 PDF'}）`,
          params: Params,
          response: { 200: Type.Unknown(), ...errors },
        },
      },
      async (request, reply) => {
        const bytes = await registerForm(db, await accessOf(request, db), request.params.code, format);
        return reply
          .header('content-type', format === 'xlsx' ? XLSX : 'application/pdf')
          .header('content-disposition', attachment(`移交登记表-${request.params.code}.${format}`))
          .send(bytes);
      },
    );
};
