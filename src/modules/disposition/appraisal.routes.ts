import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { dueCounts } from '../catalog/expiry.queries.js';
import { decide, propose } from './appraisal.decide.js';
import { addItems, openRound, setMembers } from './appraisal.service.js';
import { expiryList, listRounds, showRound } from './appraisal.view.js';

// 到期档案与鉴定批次: the expiry list, the dashboard's count, rounds with their group, proposals and
// decisions. Everything within the caller's scope; titles masked as every list masks them.

const tags = ['档案鉴定'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};
const WORK = { permission: 'appraisal.work' } as const;

const Choice = Type.String({ maxLength: 10, description: 'keep 继续保存 / destroy 销毁' });
const Retention = Type.Optional(
  Nullable(Type.String({ maxLength: 4, description: '继续保存的新保管期限：Y/D100/D50/D30/D15/D10' })),
);
const Reason = Type.String({ maxLength: 500, description: '理由' });
const Codes = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 10_000, description: '档号' });
const Year = Type.Optional(Type.Integer({ minimum: 1, maximum: 9999, description: '年度' }));
const Category = Type.Optional(Type.String({ maxLength: 40, description: '类别代码（含下级类别）' }));

const EntrySchema = Type.Object({
  year: Type.Integer(),
  category: Type.String(),
  categoryName: Type.String(),
  retention: Type.String({ description: '有效保管期限（档案自身与现行保管期限表中较长者）' }),
  yearsToKeep: Nullable(Type.Integer({ description: '应保管年数；永久为 null' })),
  yearsKept: Type.Integer({ description: '已保管年数' }),
  expiresOn: Nullable(Type.String({ description: '到期日；永久为 null' })),
  due: Type.Boolean({ description: '是否已到期' }),
  items: Type.Integer({ description: '件数' }),
});

const DueItemSchema = Type.Object({
  id: Type.Integer(),
  archiveCode: Type.String(),
  title: Type.String({ description: '题名（已脱敏）' }),
  year: Type.Integer(),
  category: Type.String(),
  categoryName: Type.String(),
  categoryId: Type.Integer(),
  retention: Type.String({ description: '档案自身的保管期限' }),
  effectiveRetention: Type.String(),
  yearsToKeep: Nullable(Type.Integer()),
  yearsKept: Type.Integer(),
  expiresOn: Type.String(),
  carrier: Type.String(),
  version: Type.Integer(),
  destroyed: Nullable(Type.String({ description: '已按该销毁清册销毁（仅余目录信息）；未销毁为 null' })),
  state: Type.String({
    description:
      'due 已到期待鉴定 / in_round 鉴定中 / decided 已作出鉴定结论 / on_register 已列入销毁清册 / destroyed 已销毁',
  }),
  round: Nullable(Type.String({ description: '所在（或最近作出结论的）鉴定批次' })),
  decision: Nullable(Type.String({ description: '该批次的鉴定结论：keep / destroy；未定为 null' })),
});

const RoundSummarySchema = Type.Object({
  code: Type.String({ description: '鉴定批次号 JD-全宗-年-序号' }),
  fonds: Type.String(),
  title: Type.String(),
  lead: Type.String({ description: '鉴定组长' }),
  status: Type.String({ description: 'open 鉴定中 / closed 已结束' }),
  openedBy: Type.String(),
  openedAt: Type.String({ format: 'date-time' }),
});
const Tally = {
  proposed: Type.Integer({ description: '已提出意见的件数' }),
  keep: Type.Integer({ description: '鉴定继续保存的件数' }),
  destroy: Type.Integer({ description: '鉴定销毁的件数' }),
};
const RoundEntrySchema = Type.Composite([
  RoundSummarySchema,
  Type.Object({ items: Type.Integer({ description: '件数' }), ...Tally }),
]);
const RoundItemSchema = Type.Object({
  archiveCode: Type.String(),
  title: Type.String({ description: '题名（已脱敏）' }),
  year: Type.Integer(),
  category: Type.String(),
  categoryName: Type.String(),
  retention: Type.String(),
  expiresOn: Nullable(Type.String()),
  proposal: Nullable(Type.String()),
  proposalRetention: Nullable(Type.String()),
  proposalReason: Nullable(Type.String()),
  proposedBy: Nullable(Type.String()),
  decision: Nullable(Type.String()),
  decisionRetention: Nullable(Type.String()),
  decisionReason: Nullable(Type.String()),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
  version: Type.Integer({ description: '行版本：作出结论时传回，期间被他人改动则拒绝' }),
});
const RoundSchema = Type.Composite([
  RoundSummarySchema,
  Type.Object({
    itemCount: Type.Integer(),
    ...Tally,
    members: Type.Array(Type.Object({ username: Type.String(), lead: Type.Boolean() })),
    items: Type.Array(RoundItemSchema),
  }),
]);
const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
};
const CodeParam = Type.Object({ code: Type.String({ maxLength: 40, description: '鉴定批次号' }) });

export const appraisalRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/appraisal/expiry',
    {
      config: WORK,
      schema: {
        tags,
        summary: '到期档案清单：某全宗按年度、类别的到期情况，及已到期的档案（按档号分页）',
        querystring: Type.Object({
          fonds: Type.String({ maxLength: 4, description: '全宗号' }),
          year: Year,
          category: Category,
          ...Page,
        }),
        response: {
          200: Type.Object({
            fonds: Type.String(),
            refreshedAt: Nullable(Type.String({ description: '清单最近刷新时间' })),
            entries: Type.Array(EntrySchema),
            items: Type.Array(DueItemSchema),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { fonds, year, category, limit, offset } = request.query;
      return expiryList(
        db,
        await accessOf(request, db),
        { fonds, ...(year !== undefined ? { year } : {}), ...(category !== undefined ? { category } : {}) },
        { limit: limit ?? 50, offset: offset ?? 0 },
      );
    },
  );

  app.get(
    '/appraisal/due-count',
    {
      config: WORK,
      schema: {
        tags,
        summary: '首页卡片：管辖范围内未来12个月到期、及已到期的档案件数',
        response: {
          200: Type.Object({
            next12Months: Type.Integer({ description: '未来12个月内到期的件数' }),
            alreadyDue: Type.Integer({ description: '已到期的件数（含已鉴定继续保存前的）' }),
          }),
          ...errors,
        },
      },
    },
    async (request) => dueCounts(db, await accessOf(request, db)),
  );

  app.get(
    '/appraisal/rounds',
    {
      config: WORK,
      schema: {
        tags,
        summary: '鉴定批次（最新的在前）',
        querystring: Type.Object({ fonds: Type.Optional(Type.String({ maxLength: 4 })) }),
        response: { 200: Type.Object({ rounds: Type.Array(RoundEntrySchema) }), ...errors },
      },
    },
    async (request) => ({ rounds: await listRounds(db, await accessOf(request, db), request.query.fonds) }),
  );

  app.post(
    '/appraisal/rounds',
    {
      config: WORK,
      schema: {
        tags,
        summary: '建立鉴定批次（鉴定小组至少两名有鉴定权限、范围含该全宗的成员，其一为组长）',
        body: Type.Object({
          fonds: Type.String({ maxLength: 4 }),
          title: Type.Optional(Type.String({ maxLength: 200 })),
          lead: Type.String({ maxLength: 100 }),
          members: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }),
        }),
        response: { 200: RoundSummarySchema, ...errors },
      },
    },
    async (request) => openRound(db, await accessOf(request, db), request.body),
  );

  app.get(
    '/appraisal/rounds/:code',
    {
      config: WORK,
      schema: {
        tags,
        summary: '鉴定批次：小组成员、档案及其鉴定意见与结论',
        params: CodeParam,
        querystring: Type.Object(Page),
        response: { 200: RoundSchema, ...errors },
      },
    },
    async (request) =>
      showRound(db, await accessOf(request, db), request.params.code, {
        limit: request.query.limit ?? 200,
        offset: request.query.offset ?? 0,
      }),
  );

  app.put(
    '/appraisal/rounds/:code/members',
    {
      config: WORK,
      schema: {
        tags,
        summary: '重新设定鉴定小组',
        params: CodeParam,
        body: Type.Object({
          lead: Type.String({ maxLength: 100 }),
          members: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }),
        }),
        response: { 200: RoundSummarySchema, ...errors },
      },
    },
    async (request) => setMembers(db, await accessOf(request, db), request.params.code, request.body),
  );

  app.post(
    '/appraisal/rounds/:code/items',
    {
      config: WORK,
      schema: {
        tags,
        summary: '列入鉴定：指定档号，或从到期清单选取（全部、某年度、某类别）；只收已到期的档案',
        params: CodeParam,
        body: Type.Object({
          items: Type.Optional(Codes),
          all: Type.Optional(Type.Boolean()),
          year: Year,
          category: Category,
        }),
        response: { 200: Type.Object({ added: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (request) => addItems(db, await accessOf(request, db), request.params.code, request.body),
  );

  app.post(
    '/appraisal/rounds/:code/proposals',
    {
      config: WORK,
      schema: {
        tags,
        summary: '鉴定小组成员提出鉴定意见（继续保存须给新的保管期限）',
        params: CodeParam,
        body: Type.Object({ items: Codes, proposal: Choice, retention: Retention, reason: Reason }),
        response: { 200: Type.Object({ proposed: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (request) => propose(db, await accessOf(request, db), request.params.code, request.body),
  );

  app.post(
    '/appraisal/rounds/:code/decisions',
    {
      config: WORK,
      schema: {
        tags,
        summary:
          '鉴定组长代表小组作出鉴定结论：指定档号，或本批次未定的全部（可限某年度、某类别），可逐件例外；' +
          '同一档案已被他人作出结论时整批不保存（409）',
        params: CodeParam,
        body: Type.Object({
          items: Type.Optional(Codes),
          year: Year,
          category: Category,
          decision: Choice,
          retention: Retention,
          reason: Reason,
          exceptions: Type.Optional(
            Type.Array(
              Type.Object({
                item: Type.String({ maxLength: 100 }),
                decision: Choice,
                retention: Retention,
                reason: Reason,
              }),
              { maxItems: 10_000 },
            ),
          ),
          versions: Type.Optional(
            Type.Record(Type.String({ maxLength: 100 }), Type.Integer(), {
              description: '档号 → 所见的行版本',
            }),
          ),
        }),
        response: {
          200: Type.Object({
            decided: Type.Array(
              Type.Object({
                item: Type.String(),
                decision: Type.String(),
                retention: Nullable(Type.String()),
                reason: Type.String(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => decide(db, await accessOf(request, db), request.params.code, request.body),
  );
};
