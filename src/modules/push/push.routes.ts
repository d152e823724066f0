import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import { ValidationError } from '../../shared/errors.js';
import { authorize } from '../access/principal.js';
import { enqueueCheckAfterFiling } from '../check/check.background.js';
import type { BlobStore } from '../storage/blob-store.js';
import { IngestRequestSchema, IngestResultSchema, LagQuerySchema, LagReportSchema } from './push.schema.js';
import { ingestArchive, lagReport } from './push.service.js';

// 经办即归档 over HTTP: thin, the service decides. Base64 is checked strictly here, as Buffer.from would
// silently skip characters it does not know and file different bytes than were sent.

const tags = ['归档接入'];
const errors = errorResponses(400, 401, 403, 409, 413);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const ingestRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store: BlobStore;
  /** Read by the check job the server registers (src/system/jobs.ts), not here. */
  clamavDatabase?: string;
}> = async (app, { db, store }) => {
  app.post(
    '/ingest',
    {
      config: { permission: 'item.create' },
      schema: {
        tags,
        summary: '业务系统推送归档（幂等：来源系统 + 业务流水号）',
        description:
          '首次推送返回 201 与新档号；同一业务流水号以相同内容重推返回 200 与原档号（replayed: true），内容不同返回 409。档案、文件与回执在同一事务中提交。',
        body: IngestRequestSchema,
        response: { 200: IngestResultSchema, 201: IngestResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const files = request.body.files ?? [];
      if (files.length > 0) authorize(principalOf(request), 'file.add');
      const bad = files.flatMap((file, index) =>
        BASE64.test(file.contentBase64)
          ? []
          : [
              {
                field: `files[${index}].contentBase64`,
                message: `文件“${file.name}”的内容不是有效的 Base64`,
              },
            ],
      );
      if (bad.length > 0) throw new ValidationError(bad, `推送的档案有误，未归档：${bad[0]?.message}`);
      const result = await ingestArchive(
        { db, store, access: await accessOf(request, db) },
        {
          source: request.body.source,
          serial: request.body.serial,
          item: request.body.item,
          files: files.map((file) => ({
            name: file.name,
            content: Buffer.from(file.contentBase64, 'base64'),
          })),
        },
        requestActor(request),
        // The four-property check is a job queued in the filing's transaction: it runs after the
        // response, and a crash cannot lose it.
        { onFiled: (trx, archiveCode) => enqueueCheckAfterFiling(trx, archiveCode, requestActor(request)) },
      );
      return reply.status(result.replayed ? 200 : 201).send(result);
    },
  );

  app.get(
    '/ingest/lag',
    {
      config: { permission: 'catalog.read' },
      schema: {
        tags,
        summary: '归档时滞统计（办理时间到归档）',
        querystring: LagQuerySchema,
        response: { 200: LagReportSchema, ...errors },
      },
    },
    async (request) =>
      lagReport(db, {
        from: request.query.from ? new Date(request.query.from) : undefined,
        to: request.query.to ? new Date(request.query.to) : undefined,
        source: request.query.source,
      }),
  );
};
