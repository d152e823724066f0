import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { listIncidents, recordIncident, withdrawIncident } from './kpi.incident.js';
import { assessmentReport } from './kpi.report.js';
import { assessmentIndicators } from './kpi.service.js';

// 考核指标: the indicators of the caller's units (kpi.read, their scope), the 考核报告 as XLSX or PDF,
// and the 安全事件 that 安全事故率 counts (recorded and withdrawn by the 安全审计员, audit.read).

const tags = ['考核指标'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};
const MEDIA = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
} as const;

const Query = Type.Object({
  year: Type.Optional(Type.String({ maxLength: 10, description: '考核年度，如 2026（默认本年，北京时间）' })),
  fonds: Type.Optional(Type.String({ maxLength: 10, description: '全宗号（立档单位）' })),
  region: Type.Optional(
    Type.String({ maxLength: 10, description: '统筹区：2、4 或 6 位行政区划代码（含下级）' }),
  ),
});

const RatioSchema = Type.Object({
  numerator: Type.Integer({ description: '分子' }),
  denominator: Type.Integer({ description: '分母' }),
  rate: Nullable(Type.Number({ description: '比率（0–1）；分母为 0 时为 null' })),
  percent: Type.String({ description: '百分比，如 95.24%；无可计数时为 —' }),
});
const UnitSchema = Type.Object({
  level: Type.String({ description: 'fonds（立档单位）、region（统筹区）或 total（合计）' }),
  code: Type.String(),
  name: Type.String(),
  items: Type.Integer({ description: '本年度档案件数' }),
  completeness: RatioSchema,
  electronic: RatioSchema,
  digitised: RatioSchema,
  timely: RatioSchema,
  uses: Type.Object({
    uses: Type.Integer({ description: '利用次数' }),
    items: Type.Integer({ description: '利用档案件数' }),
    byKind: Type.Array(Type.Object({ kind: Type.String(), kindName: Type.String(), uses: Type.Integer() })),
  }),
  incidents: Type.Object({
    alerts: Type.Integer({ description: '经认定的查阅告警' }),
    leaks: Type.Integer({ description: '泄密事件' }),
    total: Type.Integer({ description: '安全事件数' }),
    reads: Type.Integer({ description: '查阅次数（调阅文件与查阅敏感档案）' }),
    per10k: Nullable(Type.Number({ description: '每万次查阅的安全事件数；无查阅时为 null' })),
  }),
});
const AnswerSchema = Type.Object({
  year: Type.Integer(),
  timelyDays: Type.Integer({ description: '归档及时期限（办理时间后的天数）' }),
  asOf: Type.String({ description: '统计时间（北京时间）' }),
  definitions: Type.Array(
    Type.Object({
      key: Type.String(),
      name: Type.String(),
      numerator: Type.String({ description: '分子' }),
      denominator: Type.String({ description: '分母' }),
      method: Type.String({ description: '计算方法' }),
    }),
  ),
  units: Type.Array(UnitSchema, { description: '立档单位（全宗）' }),
  regions: Type.Array(UnitSchema, { description: '统筹区' }),
  total: UnitSchema,
});
const IncidentSchema = Type.Object({
  code: Type.String({ description: '安全事件编号，如 AQ-2026-1' }),
  fonds: Type.String(),
  region: Type.String(),
  kind: Type.String({ description: 'alert（查阅告警）或 leak（泄密事件）' }),
  kindName: Type.String(),
  occurredAt: Type.String({ description: '发生时间（北京时间）' }),
  description: Type.String({ description: '事件经过' }),
  alert: Nullable(Type.Object({ actor: Type.String(), hour: Type.String() })),
  recordedBy: Type.String(),
  recordedAt: Type.String(),
  withdrawn: Nullable(Type.Object({ by: Type.String(), at: Type.String(), reason: Type.String() })),
});

export const kpiRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/kpi',
    {
      config: { permission: 'kpi.read' },
      schema: {
        tags,
        summary: '考核指标：本年度（或指定年度）各立档单位、统筹区的指标及其计算方法（只含计数）',
        querystring: Query,
        response: { 200: AnswerSchema, ...errors },
      },
    },
    async (request) => assessmentIndicators(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/kpi/report',
    {
      config: { permission: 'kpi.read' },
      schema: {
        tags,
        summary: '考核报告（XLSX 或 PDF）：指标、计算方法、分子分母与安全事件',
        querystring: Type.Composite([
          Query,
          Type.Object({
            format: Type.Optional(Type.String({ maxLength: 8, description: 'xlsx（默认）或 pdf' })),
          }),
        ]),
        response: {
          200: {
            description: 'XLSX 或 PDF 文件',
            content: {
              [MEDIA.xlsx]: { schema: Type.String({ format: 'binary' }) },
              [MEDIA.pdf]: { schema: Type.String({ format: 'binary' }) },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const report = await assessmentReport(db, await accessOf(request, db), request.query);
      return reply
        .header('content-type', MEDIA[report.format])
        .header(
          'content-disposition',
          `attachment; filename="kpi-report.${report.format}"; filename*=UTF-8''${encodeURIComponent(`${report.fileBase}.${report.format}`)}`,
        )
        .send(report.file);
    },
  );

  app.get(
    '/kpi/incidents',
    {
      config: { permission: ['kpi.read', 'audit.read'] },
      schema: {
        tags,
        summary: '安全事件（某年度；考核指标读者看管辖范围内的，安全审计员看全部）',
        querystring: Type.Object({
          year: Type.Optional(Type.String({ maxLength: 10 })),
          fonds: Type.Optional(Type.String({ maxLength: 10 })),
        }),
        response: { 200: Type.Object({ incidents: Type.Array(IncidentSchema) }), ...errors },
      },
    },
    async (request) => ({ incidents: await listIncidents(db, await accessOf(request, db), request.query) }),
  );

  app.post(
    '/kpi/incidents',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags,
        summary:
          '登记安全事件（安全审计员）：认定的查阅告警（须指明账户与小时，审计记录中须有该告警）或泄密事件',
        body: Type.Object({
          fonds: Type.String({ maxLength: 10, description: '全宗号' }),
          kind: Type.String({ maxLength: 10, description: 'alert（查阅告警）或 leak（泄密事件）' }),
          occurredAt: Type.String({ maxLength: 40, description: '发生时间（ISO 8601；不带时区为北京时间）' }),
          description: Type.String({ maxLength: 2000, description: '事件经过（4–2000 字，不得含身份证号）' }),
          region: Type.Optional(Type.String({ maxLength: 6, description: '统筹区（默认全宗所在地）' })),
          alertActor: Type.Optional(Type.String({ maxLength: 100, description: '被告警的账户' })),
          alertHour: Type.Optional(Type.String({ maxLength: 40, description: '告警所在小时（ISO 8601）' })),
        }),
        response: { 201: IncidentSchema, ...errors },
      },
    },
    async (request, reply) => {
      const incident = await recordIncident(db, await accessOf(request, db), request.body);
      return reply.code(201).send(incident);
    },
  );

  app.post(
    '/kpi/incidents/:code/withdraw',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags,
        summary: '撤销误登记的安全事件（安全审计员，须说明理由）',
        params: Type.Object({ code: Type.String({ maxLength: 20 }) }),
        body: Type.Object({ reason: Type.String({ maxLength: 500, description: '撤销理由' }) }),
        response: { 200: IncidentSchema, ...errors },
      },
    },
    async (request) =>
      withdrawIncident(db, await accessOf(request, db), request.params.code, request.body.reason),
  );
};
