import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { MAX_PAGE, markAllNoticesRead, markNoticeRead, myNotices, unreadCount } from './notice.service.js';

// The signed-in user's own inbox (站内通知): no route takes a recipient, so nobody reads another's.
// Every account has one, whatever its roles, so the routes ask for sign-in only.

const tags = ['站内通知'];

const NoticeSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String({ description: '通知类型，如 loan.overdue' }),
  kindLabel: Type.String(),
  title: Type.String(),
  text: Type.String(),
  link: Nullable(Type.String({ description: '本系统内的页面路径' })),
  about: Nullable(Type.String({ description: '所涉对象，如 loan:JY2026-000123' })),
  createdAt: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
  readAt: Nullable(Type.String({ format: 'date-time' })),
});

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 }) });

export const noticeRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/notices',
    {
      schema: {
        tags,
        summary: '我的站内通知（新的在前）',
        querystring: Type.Object({
          unread: Type.Optional(Type.Boolean({ description: '只列未读的' })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '翻页：上一页最后一条的编号' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 })),
        }),
        response: {
          200: Type.Object({
            notices: Type.Array(NoticeSchema),
            unread: Type.Integer({ description: '未读条数' }),
            nextBefore: Nullable(Type.Integer()),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => myNotices(db, principalOf(request), request.query),
  );

  app.get(
    '/notices/unread-count',
    {
      schema: {
        tags,
        summary: '未读通知条数（控制台顶栏的铃铛）',
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses(401) },
      },
    },
    async (request) => ({ unread: await unreadCount(db, principalOf(request)) }),
  );

  app.post(
    '/notices/:id/read',
    {
      schema: {
        tags,
        summary: '标记一条通知为已读',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await markNoticeRead(db, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/notices/read-all',
    {
      schema: {
        tags,
        summary: '全部标记为已读',
        response: { 200: Type.Object({ marked: Type.Integer() }), ...errorResponses(401) },
      },
    },
    async (request) => ({ marked: await markAllNoticesRead(db, principalOf(request)) }),
  );
};
