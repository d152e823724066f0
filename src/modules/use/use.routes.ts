import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { exportUseXlsx } from './use.export.js';
import { USE_EFFECTS, USE_KINDS } from './use.names.js';
import { listUses, recordEffect } from './use.service.js';
import { useStats } from './use.stats.js';
import { useSummary } from './use.summary.js';

// 利用登记与统计: the register (archivists and managers in their scope; a borrower their own uses),
// 利用效果 recorded afterwards, statistics and their workbook (use.stats).

const tags = ['利用登记与统计'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
};
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const Filters = Type.Object({
  from: Type.Optional(
    Type.String({ maxLength: 10, description: '起始日期（北京时间，含），如 2026-01-01 或 2026-01' }),
  ),
  to: Type.Optional(
    Type.String({ maxLength: 10, description: '截止日期（北京时间，含），如 2026-12-31 或 2026-12' }),
  ),
  kind: Type.Optional(
    Type.String({
      maxLength: 12,
      description: `利用方式：${USE_KINDS.join('、')}（实体借出、电子阅览、复制、查询答复）`,
    }),
  ),
  fonds: Type.Optional(Type.String({ maxLength: 4, description: '全宗号' })),
  category: Type.Optional(Type.String({ maxLength: 40, description: '类别代码（含下级类别）' })),
  department: Type.Optional(Type.String({ maxLength: 200, description: '利用部门' })),
  user: Type.Optional(Type.String({ maxLength: 100, description: '利用者账户' })),
  item: Type.Optional(Type.String({ maxLength: 100, description: '档号' })),
  loan: Type.Optional(Type.String({ maxLength: 40, description: '借阅单号，如 JY2026-000123' })),
});
const StatsQuery = Type.Composite([
  Filters,
  Type.Object({
    period: Type.Optional(
      Type.String({ maxLength: 10, description: '统计周期：month（月，默认）、quarter（季度）、year（年）' }),
    ),
    by: Type.Optional(
      Type.String({
        maxLength: 12,
        description:
          '统计维度：kind（利用方式，默认）、category（档案类别）、department（利用部门）、none（合计）',
      }),
    ),
  }),
]);

const UseEntrySchema = Type.Object(
  {
    seq: Type.Integer({ description: '利用所据的事件序号' }),
    ordinal: Type.Integer({ description: '同一事件中的第几件（从 0 起）' }),
    kind: Type.String({ description: '利用方式代码' }),
    kindName: Type.String({ description: '利用方式' }),
    usedAt: Type.String({ description: '利用时间（北京时间）' }),
    who: Type.String({ description: '利用者（账户、外单位或个人，个人姓名已脱敏）' }),
    user: Nullable(Type.String({ description: '利用者账户' })),
    organisation: Nullable(Type.String({ description: '外单位名称' })),
    letterNo: Nullable(Type.String({ description: '介绍信编号' })),
    department: Type.String({ description: '利用部门' }),
    purpose: Nullable(Type.String({ description: '利用目的' })),
    loanNumber: Nullable(Type.String({ description: '借阅单号' })),
    archiveCode: Nullable(Type.String({ description: '档号' })),
    title: Nullable(Type.String({ description: '题名（按您的权限显示；无权查看时为 null）' })),
    fonds: Nullable(Type.String({ description: '全宗号' })),
    categoryName: Nullable(Type.String({ description: '档案类别' })),
    detail: Nullable(Type.String({ description: '查询答复的内容' })),
    effect: Nullable(Type.String({ description: '利用效果代码' })),
    effectName: Nullable(Type.String({ description: '利用效果' })),
    effectNote: Nullable(Type.String({ description: '利用效果说明' })),
    effectBy: Nullable(Type.String({ description: '效果记录人' })),
    effectAt: Nullable(Type.String({ description: '效果记录时间' })),
    mayRecordEffect: Type.Boolean({ description: '您能否记录该次利用的效果' }),
  },
  { description: '利用登记' },
);

const StatsSchema = Type.Object({
  period: Type.String(),
  by: Type.String(),
  from: Nullable(Type.String()),
  to: Nullable(Type.String()),
  rows: Type.Array(
    Type.Object({
      period: Type.String({ description: '期间代码，如 2026-03、2026-Q1、2026' }),
      periodName: Type.String({ description: '期间，如 2026年3月' }),
      key: Nullable(Type.String()),
      label: Type.String({ description: '维度取值的名称' }),
      uses: Type.Integer({ description: '利用次数' }),
      items: Type.Integer({ description: '利用档案件数（不同档号）' }),
      effects: Type.Integer({ description: '已记录利用效果的次数' }),
    }),
  ),
  total: Type.Object({ uses: Type.Integer(), effects: Type.Integer() }),
  asOf: Type.String({ description: '统计时间（北京时间）' }),
});

const SummarySchema = Type.Object({
  month: Type.String({ description: '本月（北京时间），如 2026-12' }),
  monthUses: Type.Integer({ description: '本月利用次数' }),
  yearUses: Type.Integer({ description: '本年利用次数' }),
  byKind: Type.Array(
    Type.Object({
      kind: Type.String(),
      kindName: Type.String(),
      uses: Type.Integer({ description: '本年次数' }),
    }),
  ),
  effectsRecorded: Type.Integer({ description: '本年已记录利用效果的次数' }),
});

export const useRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/use/entries',
    {
      config: { permission: ['use.stats', 'loan.request'] },
      schema: {
        tags,
        summary: '利用登记簿（最新的在前；档案员、管理人员看管辖范围内的全部，其他借阅人看本人的）',
        querystring: Type.Composite([
          Filters,
          Type.Object({
            before: Type.Optional(Type.String({ maxLength: 30, description: '上一页返回的 nextBefore' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
        ]),
        response: {
          200: Type.Object({
            uses: Type.Array(UseEntrySchema),
            nextBefore: Nullable(Type.String({ description: '下一页的 before；null 表示没有更多' })),
          }),
          ...errors,
        },
      },
    },
    async (request) => listUses(db, await accessOf(request, db), request.query),
  );

  app.post(
    '/use/entries/:seq/effect',
    {
      config: { permission: ['use.stats', 'loan.request'] },
      schema: {
        tags,
        summary: '记录利用效果（借阅人本人或档案员；可再次记录，以最后一次为准）',
        params: Type.Object({ seq: Type.Integer({ minimum: 0, description: '利用登记的事件序号' }) }),
        body: Type.Object({
          item: Type.Optional(
            Nullable(Type.String({ maxLength: 100, description: '档号（同一次出库有多件时必填）' })),
          ),
          effect: Type.String({
            maxLength: 20,
            description: `利用效果：${USE_EFFECTS.join('、')}，或其中文名（凭证作用、维权、审计、编研、其他）`,
          }),
          note: Type.Optional(Nullable(Type.String({ maxLength: 500, description: '说明' }))),
        }),
        response: { 200: UseEntrySchema, ...errors },
      },
    },
    async (request) =>
      recordEffect(db, await accessOf(request, db), { ...request.body, seq: request.params.seq }),
  );

  app.get(
    '/use/stats',
    {
      config: { permission: 'use.stats' },
      schema: {
        tags,
        summary: '利用统计：按期间（北京时间）及利用方式、档案类别或利用部门计数',
        querystring: StatsQuery,
        response: { 200: StatsSchema, ...errors },
      },
    },
    async (request) => useStats(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/use/stats.xlsx',
    {
      config: { permission: 'use.stats' },
      schema: {
        tags,
        summary: '导出利用统计（XLSX：统计表与利用登记簿）',
        querystring: StatsQuery,
        response: {
          200: {
            description: 'XLSX 文件',
            content: { [XLSX]: { schema: Type.String({ format: 'binary' }) } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { xlsx, fileBase } = await exportUseXlsx(db, await accessOf(request, db), request.query);
      return reply
        .header('content-type', XLSX)
        .header(
          'content-disposition',
          `attachment; filename="use-stats.xlsx"; filename*=UTF-8''${encodeURIComponent(`${fileBase}.xlsx`)}`,
        )
        .send(xlsx);
    },
  );

  app.get(
    '/use/summary',
    {
      config: { permission: 'use.stats' },
      schema: {
        tags,
        summary: '首页“利用”卡片：本月、本年的利用次数与本年按利用方式的分布',
        response: { 200: SummarySchema, ...errors },
      },
    },
    async (request) => useSummary(db, await accessOf(request, db)),
  );
};
