import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorHandler } from '../../http/errors.js';
import { YidangError } from '../../shared/errors.js';
import { asOutcome, operationOutcome } from './fhir.outcome.js';
import type { RawQuery } from './fhir.params.js';
import { PERMISSION, type ResourceType, readResource, searchResources, type Where } from './fhir.service.js';
import { capabilityStatement, SEARCH } from './fhir.spec.js';

// The read-only FHIR R4 interface, registered under /fhir/R4. Answers are application/fhir+json;
// every refusal (a bad parameter, no permission, an unknown path, a hostile request stopped by the
// input guard) leaves as an OperationOutcome with the Chinese message the JSON API would give.

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const tags = ['FHIR'];
const IdParams = Type.Object({ id: Type.String({ maxLength: 200, description: '资源 id' }) });

/** The base URL links point to: the request's host if it is a plain host name, else a relative base. */
function whereOf(request: FastifyRequest): Where {
  const host = request.headers.host ?? '';
  const base = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(host)
    ? `${request.protocol}://${host}/fhir/R4`
    : '/fhir/R4';
  return { base };
}

export const fhirRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  // Errors take the JSON API's path (codes, Chinese, masking); the answer is reshaped on the way out.
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]?.slice(0, 100) ?? '';
    reply
      .status(404)
      .send(
        operationOutcome(
          404,
          'FHIR_TYPE_UNSUPPORTED',
          `FHIR 接口没有 ${request.method} ${path}；可用的资源类型：${Object.keys(SEARCH).join('、')}`,
        ),
      );
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', FHIR_JSON);
    return typeof payload === 'string' && reply.statusCode >= 400
      ? asOutcome(reply.statusCode, payload)
      : payload;
  });

  app.get(
    '/metadata',
    { config: { public: true }, schema: { tags, summary: 'FHIR 能力声明（CapabilityStatement）' } },
    async () => capabilityStatement(new Date().toISOString()),
  );

  for (const type of Object.keys(SEARCH) as ResourceType[]) {
    const config = { permission: PERMISSION[type] };
    app.get(
      `/${type}`,
      {
        config,
        schema: {
          tags,
          summary: `检索 ${type}（FHIR 检索，返回 Bundle，分页）`,
          description: SEARCH[type].documentation,
        },
      },
      async (request) =>
        searchResources(db, await accessOf(request, db), type, request.query as RawQuery, whereOf(request)),
    );
    app.get(
      `/${type}/:id`,
      {
        config,
        schema: { tags, summary: `按 id 读取 ${type}`, params: IdParams },
      },
      async (request) =>
        readResource(
          db,
          await accessOf(request, db),
          type,
          (request.params as { id: string }).id,
          request.query as RawQuery,
          whereOf(request),
        ),
    );
  }
  // Writes are not offered: a clear refusal rather than a bare 404.
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/*',
    schema: { hide: true },
    config: { public: true },
    handler: async () => {
      throw new YidangError('FHIR_TYPE_UNSUPPORTED', 'invalid', 'FHIR 接口只读：不接受新增、修改或删除');
    },
  });
};
