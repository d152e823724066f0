import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { drawRegister } from './destruction.draw.js';
import { registerFiles } from './destruction.file.js';
import { confirmPaper } from './destruction.paper.js';
import {
  DrawResultSchema,
  DrawSchema,
  PaperSchema,
  RegisterBriefSchema,
  RegisterSchema,
} from './destruction.schema.js';
import {
  approveRegister,
  carryOutRegister,
  signRegister,
  visibleRegister,
  withdrawRegister,
} from './destruction.service.js';
import { listRegistersFor, showRegister } from './destruction.view.js';

// 销毁清册: /api/v1/destruction/registers — draw from a round, sign (lead, 监销人), approve, carry
// out (a job), confirm paper destruction, and the register as XLSX or PDF. Every route calls a
// service with the caller's principal; scope narrows every one of them.

const tags = ['鉴定与处置'];
const errors = errorResponses(400, 401, 403, 404, 409);
const Params = Type.Object({ code: Type.String({ maxLength: 40, description: '销毁清册编号' }) });
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SEE = ['appraisal.work', 'destruction.approve', 'destruction.witness', 'destruction.carry'] as const;

function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const destructionRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/destruction/registers',
    {
      config: { permission: SEE },
      schema: {
        tags,
        summary: '销毁清册列表（本人范围内，新的在前）',
        querystring: Type.Object({
          state: Type.Optional(Type.String({ maxLength: 20 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: { 200: Type.Object({ registers: Type.Array(RegisterBriefSchema) }), ...errors },
      },
    },
    async (request) => ({
      registers: await listRegistersFor(db, principalOf(request), {
        ...(request.query.state ? { state: request.query.state } : {}),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      }),
    }),
  );

  app.post(
    '/destruction/registers',
    {
      config: { permission: 'appraisal.work' },
      schema: {
        tags,
        summary: '从鉴定批次决定销毁的档案编制销毁清册；不能销毁的逐件列出原因',
        body: DrawSchema,
        response: { 201: DrawResultSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await drawRegister(db, principalOf(request), request.body)),
  );

  app.get(
    '/destruction/registers/:code',
    {
      config: { permission: SEE },
      schema: {
        tags,
        summary: '一份销毁清册：封面、签字、各行与执行进度',
        params: Params,
        response: { 200: RegisterSchema, ...errors },
      },
    },
    async (request) => showRegister(db, principalOf(request), request.params.code),
  );

  app.post(
    '/destruction/registers/:code/sign',
    {
      config: { permission: ['appraisal.work', 'destruction.witness'] },
      schema: {
        tags,
        summary: '本人签字：lead（鉴定组组长）或 witness（监销人，不能是编制人或审批人）',
        params: Params,
        body: Type.Object(
          { role: Type.Union([Type.Literal('lead'), Type.Literal('witness')]) },
          { additionalProperties: false },
        ),
        response: { 200: RegisterSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await signRegister(db, principal, request.params.code, request.body.role);
      return showRegister(db, principal, request.params.code);
    },
  );

  app.post(
    '/destruction/registers/:code/approve',
    {
      config: { permission: 'destruction.approve' },
      schema: {
        tags,
        summary: '审批销毁清册（审批人不能是鉴定组成员；只能批准一次）',
        params: Params,
        response: { 200: RegisterSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await approveRegister(db, principal, request.params.code);
      return showRegister(db, principal, request.params.code);
    },
  );

  app.post(
    '/destruction/registers/:code/carry',
    {
      config: { permission: 'destruction.carry' },
      schema: {
        tags,
        summary: '执行销毁（须已批准并有两名监销人签字）：由后台任务逐件销毁，可中断续做',
        params: Params,
        response: { 202: RegisterSchema, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await carryOutRegister(db, principal, request.params.code);
      return reply.status(202).send(await showRegister(db, principal, request.params.code));
    },
  );

  app.post(
    '/destruction/registers/:code/paper',
    {
      config: { permission: 'destruction.carry' },
      schema: {
        tags,
        summary: '确认纸质档案已销毁：方式、地点、时间与在场监销人',
        params: Params,
        body: PaperSchema,
        response: { 200: RegisterSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await confirmPaper(db, principal, request.params.code, request.body);
      return showRegister(db, principal, request.params.code);
    },
  );

  app.post(
    '/destruction/registers/:code/withdraw',
    {
      config: { permission: ['appraisal.work', 'destruction.approve'] },
      schema: {
        tags,
        summary: '撤销尚未执行的销毁清册（须说明原因），所列档案可重新编制',
        params: Params,
        body: Type.Object({ reason: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: RegisterSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await withdrawRegister(db, principal, request.params.code, request.body.reason);
      return showRegister(db, principal, request.params.code);
    },
  );

  for (const format of ['xlsx', 'pdf'] as const)
    app.get(
      `/destruction/registers/:code/${format}`,
      {
        config: { permission: SEE },
        schema: {
          tags,
          summary: `销毁清册的${format === 'xlsx' ? ' XLSX 表格' : '可打印 PDF（含签字栏）'}`,
          params: Params,
          response: { 200: Type.Unknown(), ...errors },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await showRegister(db, principal, request.params.code);
        const { register } = await visibleRegister(db, principal, request.params.code);
        const files = await registerFiles(db, register, principal.username);
        return reply
          .header('content-type', format === 'xlsx' ? XLSX : 'application/pdf')
          .header('content-disposition', attachment(`销毁清册-${register.code}.${format}`))
          .send(files[format]);
      },
    );
};
