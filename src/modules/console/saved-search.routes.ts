import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import {
  MAX_NAME_LENGTH,
  MAX_SAVED_SEARCHES,
  SavedSearchBodySchema,
  SavedSearchNameParams,
  SavedSearchSchema,
} from './saved-search.schema.js';
import { mySavedSearches, saveSearch, unsaveSearch } from './saved-search.service.js';

// The signed-in user's own saved searches (检索方案); nobody sees or changes another's.

const tags = ['检索'];

export const savedSearchRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/saved-searches',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '我的检索方案（按名称排序）',
        response: {
          200: Type.Object({ searches: Type.Array(SavedSearchSchema) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => ({ searches: await mySavedSearches(db, principalOf(request)) }),
  );

  app.put(
    '/saved-searches/:name',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: `保存检索方案（同名则覆盖；名称 1–${MAX_NAME_LENGTH} 个字符，每人最多 ${MAX_SAVED_SEARCHES} 个）`,
        params: SavedSearchNameParams,
        body: SavedSearchBodySchema,
        response: { 200: SavedSearchSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => saveSearch(db, principalOf(request), request.params.name, request.body),
  );

  app.delete(
    '/saved-searches/:name',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '删除检索方案',
        params: SavedSearchNameParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await unsaveSearch(db, principalOf(request), request.params.name);
      return reply.status(204).send(null);
    },
  );
};
