import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { auditTrail, exportAuditCsv, readingAlerts } from './audit.service.js';

// The audit trail for the 安全审计员 only (audit.read): search, CSV export, reading alerts.

const tags = ['审计'];
const errors = { 400: ErrorResponseSchema, 401: ErrorResponseSchema, 403: ErrorResponseSchema };
const Filters = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 100, description: '操作人（用户名）' })),
  action: Type.Optional(
    Type.String({ maxLength: 60, description: '事件代码，如 item.read；以点结尾表示一类，如 auth.' }),
  ),
  subject: Type.Optional(Type.String({ maxLength: 300, description: '对象，如 item:<档号>、user:<用户名>' })),
  grant: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 2_147_483_647,
      description: '授权单号：该查阅申请的审批经过及其下的每次查阅',
    }),
  ),
  trace: Type.Optional(
    Type.String({
      maxLength: 20,
      description: '水印追踪号（如 YD-7K3Q-9PZA-4M）：查出该副本由谁、何时、为何取出',
    }),
  ),
  from: Type.Optional(Type.String({ maxLength: 40, description: '起始时间（含）' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: '结束时间（不含）' })),
});

const EntrySchema = Type.Object({
  seq: Type.Integer({ description: '事件序号' }),
  recordedAt: Type.String({ format: 'date-time', description: '时间' }),
  actor: Type.String({ description: '操作人' }),
  action: Type.String({ description: '事件代码' }),
  actionLabel: Type.String({ description: '事件名称' }),
  subject: Type.String({ description: '对象' }),
  address: Nullable(Type.String({ description: '来源地址' })),
  purpose: Nullable(Type.String({ description: '目的' })),
  grantId: Nullable(Type.Integer({ description: '查阅所依据的授权单号' })),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: '详情（事件日志记录的原始内容）' }),
});
const AlertSchema = Type.Object({
  actor: Type.String({ description: '账户' }),
  hour: Type.String({ format: 'date-time', description: '该小时的起点' }),
  reads: Type.Integer({ description: '查阅次数' }),
  items: Type.Integer({ description: '查阅的不同敏感档案件数' }),
  message: Type.String({ description: '提醒（中文）' }),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/audit/events',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags,
        summary: '审计记录检索（谁在何时从何处以何目的查阅或改动了什么，最新的在前）',
        querystring: Type.Composite([
          Filters,
          Type.Object({
            before: Type.Optional(Type.Integer({ minimum: 0, description: '上一页返回的 nextBefore' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
        ]),
        response: {
          200: Type.Object({
            entries: Type.Array(EntrySchema),
            nextBefore: Nullable(Type.Integer({ description: '下一页的 before；null 表示没有更多' })),
          }),
          ...errors,
        },
      },
    },
    async (request) => auditTrail(db, request.query, await accessOf(request, db)),
  );

  app.get(
    '/audit/export',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags,
        summary: '导出审计记录（CSV，UTF-8 带 BOM；导出本身记入日志）',
        querystring: Filters,
        response: {
          200: {
            description: 'CSV 文件（UTF-8 带 BOM）',
            content: { 'text/csv': { schema: Type.String() } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { csv } = await exportAuditCsv(db, await accessOf(request, db), request.query);
      const name = `审计记录-${beijingDate(new Date())}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="audit.csv"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .send(csv);
    },
  );

  app.get(
    '/audit/alerts',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags,
        summary: '异常查阅提醒：一小时内查阅大量敏感档案的账户',
        querystring: Type.Object({
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: '回看天数，默认 7' })),
          threshold: Type.Optional(
            Type.Integer({ minimum: 2, maximum: 100000, description: '一小时内件数阈值，默认 100' }),
          ),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(AlertSchema) }), ...errors },
      },
    },
    async (request) => ({ alerts: await readingAlerts(db, await accessOf(request, db), request.query) }),
  );
};
