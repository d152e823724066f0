import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { checkCopy, ownCopies, ownCopyContent, requestCopy } from './copy.service.js';
import { ArchivesSchema, CopyCheckSchema, CopySchema, RecordsSchema, ViewsSchema } from './insured.schema.js';
import { ownArchives, ownRecords, whoViewedMe } from './insured.service.js';

// 参保人自助查询: the insured person's own window. No route takes whose records: every one answers
// for the signed-in account's own ID number (insured.service.ts insuredSelf). The copy check is the
// one public route: it shows only a copy's 档号, digest and whether it is genuine.

const tags = ['参保人自助查询'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
};

const asciiName = (name: string) => name.replace(/[^\x20-\x7e]|["\\]/g, '_');

export const insuredRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store?: BlobStore;
  /** Policy: whether a person is told the account name of staff who looked at their records. */
  showStaffNames?: boolean;
  /** Copies one person may have issued per Beijing day (a positive integer; default 10). */
  copiesPerDay?: string | number;
}> = async (app, { db, store, showStaffNames, copiesPerDay }) => {
  const perDay = Number(copiesPerDay);
  const copyLimit = Number.isInteger(perDay) && perDay > 0 ? perDay : undefined;
  app.get(
    '/insured/archives',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '本人的档案（脱敏显示）',
        querystring: Type.Object({
          cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        }),
        response: { 200: ArchivesSchema, ...errors },
      },
    },
    async (request) => ownArchives(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/insured/records',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '本人的参保登记、缴费、医疗救助结算与救助身份（名册中有记录时）',
        response: { 200: RecordsSchema, ...errors },
      },
    },
    async (request) => ownRecords(db, await accessOf(request, db)),
  );

  app.get(
    '/insured/views',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '谁查看了我的档案：每次查阅、复制、查看未脱敏信息、调阅文件与按身份证号检索的命中',
        querystring: Type.Object({
          from: Type.Optional(
            Type.String({ maxLength: 10, description: '起始日期（北京时间），如 2026-12-01' }),
          ),
          to: Type.Optional(Type.String({ maxLength: 10, description: '截止日期（含当日）' })),
          cursor: Type.Optional(Type.String({ maxLength: 400 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: ViewsSchema, ...errors },
      },
    },
    async (request) => whoViewedMe(db, await accessOf(request, db), request.query, { showStaffNames }),
  );

  app.get(
    '/insured/copies',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '本人申请的复制件及其状态',
        response: { 200: Type.Object({ copies: Type.Array(CopySchema) }), ...errors },
      },
    },
    async (request) => ({ copies: await ownCopies(db, await accessOf(request, db)) }),
  );

  if (store) {
    app.post(
      '/insured/copies',
      {
        config: { permission: 'file.read' },
        schema: {
          tags,
          summary: '申请本人档案的复制件：加盖水印与核验码，任何人可凭核验码验真',
          body: Type.Object({
            archiveCode: Type.String({ minLength: 1, maxLength: 200, description: '本人档案的档号' }),
            fileNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
            purpose: Type.String({ maxLength: 100, description: '用途，如“办理退休”' }),
          }),
          response: { 201: CopySchema, ...errors, 409: ErrorResponseSchema, 422: ErrorResponseSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const access = await accessOf(request, db);
        const copy = await requestCopy({ db, store, access, copiesPerDay: copyLimit }, request.body, {
          displayName: principal.displayName,
        });
        return reply.status(201).send(copy);
      },
    );
  }

  app.get(
    '/insured/copies/:copyNo/content',
    {
      config: { permission: 'item.read' },
      schema: {
        tags,
        summary: '下载本人的复制件（出具时的文件，摘要与核验页一致）',
        params: Type.Object({ copyNo: Type.String({ maxLength: 40 }) }),
        response: errors,
      },
    },
    async (request, reply) => {
      const copy = await ownCopyContent(db, await accessOf(request, db), request.params.copyNo);
      const name = `复制件${copy.copyNo}-${copy.fileName}`;
      return reply
        .header('content-type', copy.mediaType)
        .header(
          'content-disposition',
          `attachment; filename="${asciiName(name)}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .header('x-yidang-digest', copy.digest)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'")
        .send(copy.content);
    },
  );

  app.get(
    '/copy-checks/:code',
    {
      config: { public: true },
      schema: {
        tags,
        summary: '复制件核验（无需登录）：凭核验码查看档号、摘要与是否为本系统出具',
        params: Type.Object({ code: Type.String({ maxLength: 60 }) }),
        querystring: Type.Object({
          digest: Type.Optional(Type.String({ maxLength: 80, description: '所持文件的 SHA-256（可选）' })),
        }),
        response: { 200: CopyCheckSchema, 400: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return checkCopy(db, request.params.code, request.query.digest);
    },
  );
};
