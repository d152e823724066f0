import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { requestActor } from '../../http/request.js';
import { notFound } from '../../shared/errors.js';
import { addCategory, changeCategory, listCategories, removeCategory } from './category.service.js';
import { changeFonds, createFonds, listFonds } from './fonds.service.js';
import { removeRetentionOverride, retentionSchedule, setRetentionOverride } from './retention.service.js';

// Fonds, the classification scheme and the retention schedule.

const tags = ['分类与保管期限'];
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };
const Retention = Type.Union(
  ['Y', 'D100', 'D50', 'D30', 'D15', 'D10'].map((code) => Type.Literal(code)),
  {
    description: '保管期限：Y 永久，D100/D50/D30/D15/D10 定期（年）',
  },
);

const FondsSchema = Type.Object({
  code: Type.String({ description: '全宗号（4位大写字母或数字）' }),
  name: Type.String({ description: '全宗名称' }),
  regionCode: Type.String({ description: '地区代码（6位，GB/T 2260）' }),
  archiveCodePattern: Type.String({
    description: '档号规则，如 {fonds}-{category}·{year}-{retention}-{org}-{item:4}',
  }),
});

const ExtraFieldSchema = Type.Object({
  key: Type.String(),
  label: Type.String(),
  type: Type.Union([
    Type.Literal('text'),
    Type.Literal('date'),
    Type.Literal('amount'),
    Type.Literal('integer'),
    Type.Literal('region'),
    Type.Literal('enum'),
  ]),
  required: Type.Boolean(),
  maxLength: Type.Optional(Type.Integer()),
  options: Type.Optional(Type.Array(Type.String())),
});

const CategorySchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  defaultRetention: Type.String(),
  retentionBasis: Type.String(),
  defaultSensitivity: Type.String(),
  requiresPerson: Type.Boolean(),
  requiresAmount: Type.Boolean(),
  extraFields: Type.Array(ExtraFieldSchema),
  status: Type.String({ description: 'active 启用 / retired 停用' }),
  builtin: Type.Boolean(),
});

const RetentionScheduleSchema = Type.Array(
  Type.Object({
    category: Type.String({ description: '类别代码' }),
    categoryName: Type.String({ description: '类别名称' }),
    status: Type.String({ description: 'active 启用 / retired 停用' }),
    defaultRetention: Type.String({ description: '默认保管期限：Y/D100/D50/D30/D15/D10' }),
    defaultLabel: Type.String({ description: '默认保管期限的中文名称，如 永久、定期30年' }),
    basis: Type.String({ description: '保管期限依据' }),
    overrides: Type.Array(
      Type.Object({
        regionCode: Type.String({ description: '地区代码（6位）' }),
        regionName: Type.String({ description: '地区名称' }),
        retention: Type.String({ description: '该地区的保管期限' }),
        reason: Type.String({ description: '调整依据' }),
        setBy: Type.String({ description: '设置人' }),
      }),
      { description: '各地区单独设置的保管期限' },
    ),
  }),
);

async function categoryByCode(db: Db, code: string) {
  const found = (await categoryList(db)).find((row) => row.code === code);
  if (!found) throw notFound('CATEGORY_NOT_FOUND', `类别“${code}”不存在`);
  return found;
}

async function categoryList(db: Db) {
  const rows = await listCategories(db);
  const codeById = new Map(rows.map((row) => [row.id, row.code]));
  return rows.map(({ id: _id, parentId, sortOrder: _sort, ...row }) => ({
    ...row,
    parent: parentId === null ? null : (codeById.get(parentId) ?? null),
  }));
}

export const catalogRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/fonds',
    {
      config: { permission: 'catalog.read' },
      schema: { tags, summary: '全宗列表', response: { 200: Type.Array(FondsSchema) } },
    },
    () => listFonds(db),
  );
  app.post(
    '/fonds',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '新建全宗',
        body: Type.Object({
          code: Type.String({ maxLength: 4 }),
          name: Type.String({ maxLength: 100 }),
          regionCode: Type.String({ maxLength: 6 }),
          archiveCodePattern: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 201: FondsSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createFonds(db, request.body, requestActor(request))),
  );
  app.patch(
    '/fonds/:code',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '修改全宗（档号规则只能在尚未归档时修改）',
        params: Type.Object({ code: Type.String({ maxLength: 4 }) }),
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 100 })),
          regionCode: Type.Optional(Type.String({ maxLength: 6 })),
          archiveCodePattern: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: FondsSchema, ...errors },
      },
    },
    async (request) => changeFonds(db, request.params.code, request.body, requestActor(request)),
  );

  app.get(
    '/categories',
    {
      config: { permission: 'catalog.read' },
      schema: { tags, summary: '分类方案（含停用类别）', response: { 200: Type.Array(CategorySchema) } },
    },
    () => categoryList(db),
  );
  app.post(
    '/categories',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '新增类别',
        body: Type.Object({
          code: Type.String({ maxLength: 16 }),
          name: Type.String({ maxLength: 50 }),
          parent: Type.Optional(Type.String({ maxLength: 16 })),
          defaultRetention: Retention,
          retentionBasis: Type.Optional(Type.String({ maxLength: 200 })),
          defaultSensitivity: Type.Optional(Type.String()),
          requiresPerson: Type.Optional(Type.Boolean()),
          requiresAmount: Type.Optional(Type.Boolean()),
          extraFields: Type.Optional(Type.Array(ExtraFieldSchema, { maxItems: 30 })),
        }),
        response: { 201: CategorySchema, ...errors },
      },
    },
    async (request, reply) => {
      const created = await addCategory(db, request.body, requestActor(request));
      return reply.status(201).send(await categoryByCode(db, created.code));
    },
  );
  app.patch(
    '/categories/:code',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '重命名、停用（retired）或重新启用（active）类别',
        params: Type.Object({ code: Type.String({ maxLength: 16 }) }),
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 50 })),
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('retired')])),
          extraFields: Type.Optional(Type.Array(ExtraFieldSchema, { maxItems: 30 })),
        }),
        response: { 200: CategorySchema, ...errors },
      },
    },
    async (request) => {
      await changeCategory(db, request.params.code, request.body, requestActor(request));
      return categoryByCode(db, request.params.code);
    },
  );
  app.delete(
    '/categories/:code',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '删除从未使用的类别（已有档案或子类别的只能停用）',
        params: Type.Object({ code: Type.String({ maxLength: 16 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeCategory(db, request.params.code, requestActor(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/retention-schedule',
    {
      config: { permission: 'catalog.read' },
      schema: {
        tags,
        summary: '保管期限表（默认期限、依据和各地调整）',
        response: { 200: RetentionScheduleSchema },
      },
    },
    () => retentionSchedule(db),
  );
  const OverrideParams = Type.Object({
    category: Type.String({ maxLength: 16 }),
    regionCode: Type.String({ maxLength: 6 }),
  });
  app.put(
    '/retention-schedule/:category/:regionCode',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '为某地区单独设置某类别的保管期限（须说明依据）',
        params: OverrideParams,
        body: Type.Object({ retention: Retention, reason: Type.String({ minLength: 1, maxLength: 500 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await setRetentionOverride(db, { ...request.params, ...request.body }, requestActor(request));
      return reply.status(204).send(null);
    },
  );
  app.delete(
    '/retention-schedule/:category/:regionCode',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '取消地区调整，恢复默认期限',
        params: OverrideParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeRetentionOverride(
        db,
        request.params.category,
        request.params.regionCode,
        requestActor(request),
      );
      return reply.status(204).send(null);
    },
  );
};
