import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import { ItemSchema } from '../catalog/item.schema.js';
import type { FlagRow } from './duplicates.repo.js';
import { listDuplicates, resolveDuplicate } from './duplicates.service.js';

// The duplicates report (重复归档清单) and its resolution; items are shown masked, as everywhere.

const tags = ['归档接入'];
const errors = errorResponses(400, 401, 403, 404, 409);
const STATUS = Type.Union([Type.Literal('open'), Type.Literal('kept'), Type.Literal('merged')]);
const FlagSchema = Type.Object({
  id: Type.Integer(),
  rule: Type.String({
    description: 'same_business 同一业务（参保号+业务类型+办理时间相近）/ same_serial 同一业务流水号',
  }),
  fields: Type.Array(Type.String(), { description: '两件之间取值不同的关键字段' }),
  status: STATUS,
  keptArchiveCode: Type.Union([Type.String(), Type.Null()], { description: '合并时保留的一件' }),
  flaggedAt: Type.String({ format: 'date-time' }),
  resolvedBy: Type.Union([Type.String(), Type.Null()]),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
});
const PairSchema = Type.Object({
  flag: FlagSchema,
  item: ItemSchema,
  other: ItemSchema,
});

function flagOut(flag: FlagRow, codes: Map<number, string>) {
  return {
    id: flag.id,
    rule: flag.rule,
    fields: flag.fields,
    status: flag.status,
    keptArchiveCode: flag.keptItemId === null ? null : (codes.get(flag.keptItemId) ?? null),
    flaggedAt: flag.flaggedAt.toISOString(),
    resolvedBy: flag.resolvedBy,
    resolvedAt: flag.resolvedAt?.toISOString() ?? null,
    reason: flag.reason,
  };
}

export const duplicateRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/duplicates',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '重复归档清单：两件档案并列，列出取值不同的关键字段',
        querystring: Type.Object({
          status: Type.Optional(STATUS),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: {
          200: Type.Object({
            duplicates: Type.Array(PairSchema),
            nextBefore: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { pairs, nextBefore } = await listDuplicates(db, {
        ...request.query,
        access: await accessOf(request, db),
      });
      const duplicates = pairs.map(({ flag, item, other }) => ({
        flag: flagOut(flag, new Map([item, other].map((entry) => [entry.id, entry.archiveCode]))),
        item,
        other,
      }));
      return { duplicates, nextBefore };
    },
  );

  app.post(
    '/duplicates/:id/resolve',
    {
      config: { permission: 'item.update' },
      schema: {
        tags,
        summary: '处理重复标记：都保留（keep_both）或合并（merge，指明保留的一件）；须写理由',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal('keep_both'), Type.Literal('merge')]),
            keep: Type.Optional(Type.String({ maxLength: 200, description: '合并时保留的一件的档号' })),
            reason: Type.String({ maxLength: 500, description: '处理理由' }),
          },
          { additionalProperties: false },
        ),
        response: { 200: FlagSchema, ...errors },
      },
    },
    async (request) => {
      const flag = await resolveDuplicate(
        db,
        request.params.id,
        request.body,
        requestActor(request),
        await accessOf(request, db),
      );
      const codes = new Map<number, string>();
      if (request.body.keep && flag.keptItemId !== null) codes.set(flag.keptItemId, request.body.keep);
      return flagOut(flag, codes);
    },
  );
};
