import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { requestActor } from '../../http/app.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { ItemInputSchema, ItemPatchSchema, ItemSchema, ItemVersionSchema } from './item.schema.js';
import {
  fileItems,
  getItem,
  itemHistory,
  listItems,
  MAX_BATCH,
  readItem,
  updateItem,
} from './item.service.js';

// Item routes stay thin: the body schemas document the shape, and the service does the checking so
// the caller gets every problem at once, in Chinese (attachValidation hands the body through).

const tags = ['档案'];
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema };
const CodeParams = Type.Object({
  archiveCode: Type.String({ description: '档号（URL 编码）', maxLength: 200 }),
});

export const itemRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/items',
    {
      attachValidation: true,
      schema: {
        tags,
        summary: '归档一件档案（生成档号）',
        body: ItemInputSchema,
        response: { 201: ItemSchema, ...errors },
      },
    },
    async (request, reply) => {
      const [filed] = await fileItems(db, [request.body], requestActor(request));
      return reply.status(201).send(await getItem(db, filed?.archiveCode ?? ''));
    },
  );

  app.post(
    '/items/batch',
    {
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
      const filed = await fileItems(db, items, requestActor(request));
      return reply.status(201).send({ filed });
    },
  );

  app.get(
    '/items',
    {
      schema: {
        tags,
        summary: '档案列表（按全宗、类别及其子类、年度筛选，按归档顺序分页）',
        querystring: Type.Object({
          fonds: Type.Optional(Type.String({ maxLength: 4 })),
          category: Type.Optional(Type.String({ maxLength: 16 })),
          year: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2200 })),
          cursor: Type.Optional(Type.Integer({ minimum: 0, description: '上一页返回的 nextCursor' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
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
    async (request) => listItems(db, request.query),
  );

  app.get(
    '/items/:archiveCode',
    {
      schema: {
        tags,
        summary: '按档号查看档案',
        params: CodeParams,
        response: { 200: ItemSchema, ...errors },
      },
    },
    async (request) => readItem(db, request.params.archiveCode, requestActor(request)),
  );

  app.patch(
    '/items/:archiveCode',
    {
      attachValidation: true,
      schema: {
        tags,
        summary: '修改档案（须附原因；保存新版本，档号不变）',
        params: CodeParams,
        body: ItemPatchSchema,
        response: { 200: ItemSchema, ...errors },
      },
    },
    async (request) => updateItem(db, request.params.archiveCode, request.body, requestActor(request)),
  );

  app.get(
    '/items/:archiveCode/versions',
    {
      schema: {
        tags,
        summary: '档案的全部版本（谁、何时、为何修改）',
        params: CodeParams,
        response: { 200: Type.Object({ versions: Type.Array(ItemVersionSchema) }), ...errors },
      },
    },
    async (request) => ({ versions: await itemHistory(db, request.params.archiveCode) }),
  );
};
