import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { HoldDetailSchema, HoldInputSchema, HoldSchema } from './hold.schema.js';
import { liftHold, listHolds, placeHold, showHold } from './hold.service.js';

// 冻结: /api/v1/holds — place (by 档号, by a query, by category and year), list, show, lift with a
// reason. hold.manage (档案员, 安全审计员), narrowed by scope; the service does the checking.

const tags = ['冻结'];
const errors = errorResponses(400, 401, 403, 404, 409);
const CodeParams = Type.Object({
  code: Type.String({ maxLength: 30, description: '冻结编号，如 DJ-2026-1' }),
});

export const holdRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/holds',
    {
      config: { permission: 'hold.manage' },
      schema: {
        tags,
        summary: '冻结档案：按档号、按条件（全宗外至少一项）或按类别和年度，须说明原因',
        body: HoldInputSchema,
        response: { 201: HoldSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await placeHold(db, await accessOf(request, db), request.body)),
  );

  app.get(
    '/holds',
    {
      config: { permission: 'hold.manage' },
      schema: {
        tags,
        summary: '冻结列表（您档案范围内的全宗），新的在前',
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('lifted')])),
          fonds: Type.Optional(Type.String({ maxLength: 4 })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '上一页返回的 nextBefore' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({ holds: Type.Array(HoldSchema), nextBefore: Nullable(Type.Integer()) }),
          ...errors,
        },
      },
    },
    async (request) => listHolds(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/holds/:code',
    {
      config: { permission: 'hold.manage' },
      schema: {
        tags,
        summary: '一项冻结及其覆盖的档号（有查阅档案权限者可见档号）',
        params: CodeParams,
        response: { 200: HoldDetailSchema, ...errors },
      },
    },
    async (request) => showHold(db, await accessOf(request, db), request.params.code),
  );

  app.post(
    '/holds/:code/lift',
    {
      config: { permission: 'hold.manage' },
      schema: {
        tags,
        summary: '解除冻结（须说明原因；已解除的不能再解除）',
        params: CodeParams,
        body: Type.Object({ reason: Type.String({ maxLength: 500 }) }),
        response: { 200: HoldSchema, ...errors },
      },
    },
    async (request) => liftHold(db, await accessOf(request, db), request.params.code, request.body.reason),
  );
};
