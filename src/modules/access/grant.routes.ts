import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import {
  approveRequest,
  getAccessRequest,
  listAccessRequests,
  MAX_HOURS,
  MAX_REQUEST_ITEMS,
  rejectRequest,
  requestAccess,
  revokeGrant,
  withdrawRequest,
} from './grant.service.js';

// 查阅申请与审批: requests to read sensitive items, and the 安全保密员's decisions on them.

const tags = ['查阅审批'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};
const STATUSES = ['pending', 'approved', 'rejected', 'withdrawn', 'revoked'] as const;
const RequestSchema = Type.Object({
  id: Type.Integer(),
  requester: Type.String(),
  requesterName: Type.String(),
  purpose: Type.String(),
  hours: Type.Integer(),
  status: Type.Union(
    [...STATUSES, 'expired'].map((status) => Type.Literal(status)),
    {
      description:
        'pending 待审批、approved 已批准（授权有效）、expired 已到期、rejected 已驳回、withdrawn 已撤回、revoked 已收回',
    },
  ),
  createdAt: Type.String(),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  revokeNote: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(
    Type.Object({
      archiveCode: Type.String(),
      category: Type.String(),
      categoryName: Type.String(),
      sensitivity: Type.String(),
    }),
  ),
});
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const NoteBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 200 })) });

export const grantRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/access-requests',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '申请查阅敏感档案（写明目的与期限，由安全保密员审批）',
        body: Type.Object({
          items: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: MAX_REQUEST_ITEMS }),
          purpose: Type.String({ maxLength: 200, description: '查阅目的（至少4个字）' }),
          hours: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: MAX_HOURS.sensitive,
              description: `期限（小时）；敏感档案最长 ${MAX_HOURS.sensitive}，限制档案最长 ${MAX_HOURS.restricted}`,
            }),
          ),
        }),
        response: { 201: RequestSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await requestAccess(db, principalOf(request), request.body)),
  );

  app.get(
    '/access-requests',
    {
      schema: {
        tags,
        summary: '查阅申请：安全保密员看到全部（审批待办），其他用户只看到自己的',
        querystring: Type.Object({
          mine: Type.Optional(Type.Boolean({ description: '只看我提出的' })),
          status: Type.Optional(Type.Union(STATUSES.map((status) => Type.Literal(status)))),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '上一页返回的 nextBefore' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            requests: Type.Array(RequestSchema),
            nextBefore: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => listAccessRequests(db, principalOf(request), request.query),
  );

  app.get(
    '/access-requests/:id',
    {
      schema: {
        tags,
        summary: '一件查阅申请',
        params: IdParams,
        response: { 200: RequestSchema, ...errors },
      },
    },
    async (request) => getAccessRequest(db, principalOf(request), request.params.id),
  );

  app.post(
    '/access-requests/:id/approve',
    {
      config: { permission: 'access.grant' },
      schema: {
        tags,
        summary: '批准（可缩短期限；授权自批准时起算，到期自动失效）',
        params: IdParams,
        body: Type.Optional(
          Type.Object({
            hours: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HOURS.sensitive })),
            note: Type.Optional(Type.String({ maxLength: 200 })),
          }),
        ),
        response: { 200: RequestSchema, ...errors },
      },
    },
    async (request) => approveRequest(db, principalOf(request), request.params.id, request.body ?? {}),
  );

  app.post(
    '/access-requests/:id/reject',
    {
      config: { permission: 'access.grant' },
      schema: {
        tags,
        summary: '驳回（须写理由）',
        params: IdParams,
        body: NoteBody,
        response: { 200: RequestSchema, ...errors },
      },
    },
    async (request) => rejectRequest(db, principalOf(request), request.params.id, request.body),
  );

  app.post(
    '/access-requests/:id/revoke',
    {
      config: { permission: 'access.grant' },
      schema: {
        tags,
        summary: '提前收回授权（须写理由）',
        params: IdParams,
        body: NoteBody,
        response: { 200: RequestSchema, ...errors },
      },
    },
    async (request) => revokeGrant(db, principalOf(request), request.params.id, request.body),
  );

  app.post(
    '/access-requests/:id/withdraw',
    {
      schema: {
        tags,
        summary: '撤回自己尚未审批的申请',
        params: IdParams,
        response: { 200: RequestSchema, ...errors },
      },
    },
    async (request) => withdrawRequest(db, principalOf(request), request.params.id),
  );
};
