import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { MAX_OVERDUE_PAGE, overdueList } from './overdue.service.js';

// GET /loans/overdue: the archivist's overdue list (逾期), within the caller's scope.

const tags = ['借阅'];

const OverdueLoanSchema = Type.Object({
  loanNo: Type.String({ description: '借阅单号，如 JY2026-000123' }),
  borrower: Type.Object({
    user: Nullable(Type.String({ description: '借阅人账户（本单位人员）' })),
    organisation: Nullable(Type.String({ description: '外单位名称' })),
    letterNo: Nullable(Type.String({ description: '介绍信编号' })),
  }),
  requestedBy: Type.String(),
  dueOn: Type.String({ format: 'date', description: '应还日（北京时间）' }),
  daysOverdue: Type.Integer({ description: '逾期天数' }),
  handedOverAt: Nullable(Type.String({ format: 'date-time' })),
  handedOverBy: Nullable(Type.String()),
  renewals: Type.Integer(),
  renewalsAllowed: Type.Integer(),
  items: Type.Array(Type.String(), { description: '尚未归还的档号' }),
  lastReminder: Nullable(
    Type.Object({
      offset: Type.Integer({ description: '相对应还日的天数，如 7 表示逾期 7 天的提醒' }),
      sentAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

export const overdueRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/loans/overdue',
    {
      config: { permission: 'loan.handle' },
      schema: {
        tags,
        summary: '逾期清单：实体借出已过应还日仍未归还的借阅（逾期最久的在前）',
        querystring: Type.Object({
          minDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: '至少逾期的天数' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_OVERDUE_PAGE, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 40, description: '上一页给出的“下一页”标记' })),
        }),
        response: {
          200: Type.Object({
            today: Type.String({ format: 'date' }),
            total: Nullable(
              Type.Integer({ description: '逾期借阅单总数（在您的范围内；只在第一页给出，最多数到 200）' }),
            ),
            totalAtLeast: Type.Boolean({ description: '为 true 时总数只数到上限（至少这么多笔）' }),
            loans: Type.Array(OverdueLoanSchema),
            next: Nullable(Type.String()),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => overdueList(db, await accessOf(request, db), request.query),
  );
};
