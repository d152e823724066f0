import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid } from '../../shared/errors.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ReceivedBagDetailSchema, ReceivedBagSchema } from './receive.schema.js';
import { readSenderKey, receiveTar } from './receive.service.js';
import { listReceived, showReceived } from './receive.view.js';

// 接收: /api/v1/transfer/received — upload a bag (a tar, multipart field file) to be validated, judged
// item by item and filed in a fonds; list and show what was received; download the signed 回执.
// transfer.receive (档案员), narrowed by scope: items are filed only in a fonds the caller may file in.

const tags = ['接收'];
const errors = errorResponses(400, 401, 403, 404, 409, 413);
/** A bag upload's limit: the tar is unpacked to disk, never held in memory. */
export const MAX_RECEIVE_BYTES = 64 * 1024 ** 3;
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, description: '接收记录编号' }) });

export const receiveRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
  clamavDatabase?: string;
}> = async (app, { db, store, signingKey, clamavDatabase }) => {
  await app.register(multipart, { limits: { fileSize: MAX_RECEIVE_BYTES, files: 1, fields: 0 } });
  const context = { db, store, signer: signingKey, virus: { database: clamavDatabase } };

  app.post(
    '/transfer/received',
    {
      config: { permission: 'transfer.receive' },
      schema: {
        tags,
        summary:
          '接收移交包（tar，multipart/form-data 字段 file）：校验、逐件四性检测、接收进指定全宗并出具签名回执',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          fonds: Type.String({ maxLength: 4, description: '接收进的全宗号' }),
          senderKey: Type.Optional(
            Type.String({
              maxLength: 4000,
              description:
                '移交方的签名公钥（Base64 SPKI 或 PEM）；给出时移交包须由它签署，不给时真实性注明未核对移交方公钥',
            }),
          ),
        }),
        response: { 201: ReceivedBagDetailSchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
      const part = await request.file();
      if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
      const access = await accessOf(request, db);
      const { senderKey } = request.query;
      const result = await receiveTar(context, access, part.file, {
        fonds: request.query.fonds,
        ...(senderKey !== undefined ? { senderKey: readSenderKey(senderKey) } : {}),
        maxBytes: MAX_RECEIVE_BYTES,
      });
      return reply.status(201).send(await showReceived(db, access, result.id));
    },
  );

  app.get(
    '/transfer/received',
    {
      config: { permission: 'transfer.receive' },
      schema: {
        tags,
        summary: '已接收的移交包（新的在前）',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: Type.Object({ bags: Type.Array(ReceivedBagSchema) }), ...errors },
      },
    },
    async (request) => ({ bags: await listReceived(db, await accessOf(request, db), request.query.limit) }),
  );

  app.get(
    '/transfer/received/:id',
    {
      config: { permission: 'transfer.receive' },
      schema: {
        tags,
        summary: '一次接收：逐件结果（四性检测、拒收原因、本馆档号）与签名回执',
        params: IdParams,
        response: { 200: ReceivedBagDetailSchema, ...errors },
      },
    },
    async (request) => showReceived(db, await accessOf(request, db), request.params.id),
  );

  app.get(
    '/transfer/received/:id/receipt',
    {
      config: { permission: 'transfer.receive' },
      schema: { tags, summary: '下载签名的接收回执（JSON 文件，交移交方登记）', params: IdParams },
    },
    async (request, reply) => {
      const shown = await showReceived(db, await accessOf(request, db), request.params.id);
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename*=UTF-8''${encodeURIComponent(shown.receiptName)}`,
        )
        .send(shown.receipt);
    },
  );
};
