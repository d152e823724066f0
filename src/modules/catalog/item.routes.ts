import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { requestActor } from '../../http/request.js';
import { withoutGrantGate } from '../../shared/access-context.js';
import { can } from '../access/principal.js';
import { itemHistory, updateItem } from './item.edit.service.js';
import { ItemInputSchema, ItemPatchSchema, ItemSchema, ItemVersionSchema } from './item.schema.js';
import { fileItem, fileItems, listItems, MAX_BATCH, readItem } from './item.service.js';

// Item routes stay thin: the body schemas document the shape, and the service does the checking so
// the caller gets every problem at once, in Chinese (attachValidation hands the body through).

const tags = ['档案'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};
const CodeParams = Type.Object({
  archiveCode: Type.String({ description: '档号（URL 编码）', maxLength: 200 }),
});
const Disclosure = {
  unmask: Type.Optional(
    Type.Boolean({ description: '显示未脱敏的个人信息（需 item.unmask 权限，记入事件日志）' }),
  ),
  purpose: Type.Optional(Type.String({ maxLength: 200, description: '查阅目的（记入日志）' })),
};

export const itemRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/items',
    {
      config: { permission: 'item.create' },
      attachValidation: true,
      schema: {
        tags,
        summary: '归档一件档案（生成档号）',
        body: ItemInputSchema,
        response: { 201: ItemSchema, ...errors },
      },
    },
    async (request, reply) => {
      const access = await accessOf(request, db);
      return reply.status(201).send(await fileItem(db, request.body, requestActor(request), { access }));
    },
  );

  app.post(
    '/items/batch',
    {
      config: { permission: 'item.create' },
      attachValidation: true,
      schema: {
        tags,
        summary: `批量归档（全部成功或全部不归档，每批最多 ${MAX_BATCH} 件）`,
        body: Type.Object({ items: Type.Array(ItemInputSchema, { maxItems: MAX_BATCH }) }),
        response: {
          201: Type.Object({
            filed: Type.Array(Type.Object({ id: Type.Integer(), archiveCode: Type.String() })),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { items?: unknown };
      const items = Array.isArray(body?.items) ? body.items : [body?.items];
      const filed = await fileItems(db, items, requestActor(request), {
        access: await accessOf(request, db),
      });
      return reply.status(201).send({ filed });
    },
  );

  app.get(
    '/items',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '档案列表（按全宗、类别及其子类、年度、身份证号筛选，按归档顺序分页）',
        querystring: Type.Object({
          fonds: Type.Optional(Type.String({ maxLength: 4 })),
          category: Type.Optional(Type.String({ maxLength: 16 })),
          year: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2200 })),
          idNumber: Type.Optional(
            Type.String({ maxLength: 18, description: '按身份证号精确查找（经盲索引，库中身份证号为密文）' }),
          ),
          cursor: Type.Optional(Type.Integer({ minimum: 0, description: '上一页返回的 nextCursor' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
          ...Disclosure,
        }),
        response: {
          200: Type.Object({
            items: Type.Array(ItemSchema),
            nextCursor: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { unmask, purpose, ...query } = request.query;
      return listItems(db, query, await accessOf(request, db, { unmask, purpose }));
    },
  );

  app.get(
    '/items/:archiveCode',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '按档号查看档案（个人信息默认脱敏）',
        params: CodeParams,
        querystring: Type.Object(Disclosure),
        response: { 200: ItemSchema, ...errors },
      },
    },
    async (request) => {
      const { unmask, purpose } = request.query;
      return readItem(
        db,
        request.params.archiveCode,
        requestActor(request),
        purpose,
        await accessOf(request, db, { unmask, purpose }),
      );
    },
  );

  app.patch(
    '/items/:archiveCode',
    {
      config: { permission: 'item.update' },
      attachValidation: true,
      schema: {
        tags,
        summary: '修改档案（须附原因；保存新版本，档号不变）',
        params: CodeParams,
        body: ItemPatchSchema,
        response: { 200: ItemSchema, ...errors },
      },
    },
    async (request) => {
      return updateItem(db, request.params.archiveCode, request.body, requestActor(request), {
        access: await accessOf(request, db),
        mayLower: can(principalOf(request), 'item.declassify'),
      });
    },
  );

  // The 安全保密员 decides to lower an item's sensitivity or 密级 without reading it: the answer holds
  // the classification only, and no approved request is needed for an item in their scope.
  app.post(
    '/items/:archiveCode/classification',
    {
      config: { permission: 'item.declassify' },
      schema: {
        tags,
        summary: '调整档案的敏感级别或密级（安全保密员；降低须由其决定并附原因，记入事件日志）',
        params: CodeParams,
        body: Type.Object({
          sensitivity: Type.Optional(
            Type.String({
              maxLength: 20,
              description: '敏感级别：normal 普通 / sensitive 敏感 / restricted 限制',
            }),
          ),
          securityLevel: Type.Optional(
            Type.String({
              maxLength: 20,
              description:
                '密级：public 公开 / internal 内部 / confidential 秘密 / secret 机密 / top_secret 绝密',
            }),
          ),
          reason: Type.String({ minLength: 1, maxLength: 500, description: '原因' }),
        }),
        response: {
          200: Type.Object({
            archiveCode: Type.String(),
            version: Type.Integer(),
            sensitivity: Type.String(),
            securityLevel: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const changed = await updateItem(db, request.params.archiveCode, request.body, requestActor(request), {
        access: withoutGrantGate(await accessOf(request, db)),
        mayLower: true,
      });
      return {
        archiveCode: changed.archiveCode,
        version: changed.version,
        sensitivity: changed.sensitivity,
        securityLevel: changed.securityLevel ?? null,
      };
    },
  );

  app.get(
    '/items/:archiveCode/versions',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '档案的全部版本（谁、何时、为何修改）',
        params: CodeParams,
        querystring: Type.Object(Disclosure),
        response: { 200: Type.Object({ versions: Type.Array(ItemVersionSchema) }), ...errors },
      },
    },
    async (request) => {
      const { unmask, purpose } = request.query;
      return {
        versions: await itemHistory(
          db,
          request.params.archiveCode,
          await accessOf(request, db, { unmask, purpose }),
        ),
      };
    },
  );
};
