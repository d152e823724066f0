import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { requestActor } from '../../http/app.js';
import { scopeOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { invalid } from '../../shared/errors.js';
import { type BlobStore, MAX_FILE_BYTES } from './blob-store.js';
import { addFile, listFiles, openFile } from './file.service.js';
import { listRuns, runFixity } from './fixity.service.js';

// Electronic files of items: multipart upload, streamed download; fixity runs.

const tags = ['电子文件'];
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 413: ErrorResponseSchema };
const CodeParams = Type.Object({
  archiveCode: Type.String({ description: '档号（URL 编码）', maxLength: 200 }),
});
const AttachedFileSchema = Type.Object({
  fileNumber: Type.Integer(),
  fileName: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  digest: Type.String({ description: '内容摘要 算法:十六进制' }),
  addedBy: Type.String(),
  addedAt: Type.String({ format: 'date-time' }),
  replicas: Type.Array(Type.String(), { description: '持有完好副本的位置' }),
});

/** RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name, so Chinese names survive every browser. */
function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const storageRoutes: FastifyPluginAsyncTypebox<{ db: Db; store: BlobStore }> = async (
  app,
  { db, store },
) => {
  // preservePath hands us the name as sent, so a path-like name is refused instead of silently cut.
  await app.register(multipart, {
    preservePath: true,
    limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 5 },
  });
  const context = { db, store };

  app.post(
    '/items/:archiveCode/files',
    {
      config: { permission: 'file.add' },
      schema: {
        tags,
        summary: '上传电子文件并挂接到档案（multipart/form-data，字段 file）',
        consumes: ['multipart/form-data'],
        params: CodeParams,
        response: { 201: AttachedFileSchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
      const part = await request.file();
      if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
      const added = await addFile(
        { ...context, scope: await scopeOf(request, db) },
        request.params.archiveCode,
        { stream: part.file, fileName: part.filename },
        requestActor(request),
      );
      return reply.status(201).send(added);
    },
  );

  app.get(
    '/items/:archiveCode/files',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: '列出档案的电子文件',
        params: CodeParams,
        response: { 200: Type.Object({ files: Type.Array(AttachedFileSchema) }), 404: ErrorResponseSchema },
      },
    },
    async (request) => ({
      files: await listFiles(db, request.params.archiveCode, await scopeOf(request, db)),
    }),
  );

  app.get(
    '/items/:archiveCode/files/:fileNumber',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: '下载电子文件（流式；先校验副本摘要，损坏的副本记入日志并改用其他副本）',
        params: Type.Object({
          archiveCode: Type.String({ maxLength: 200 }),
          fileNumber: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        }),
        response: { 404: ErrorResponseSchema, 400: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const { file, stream } = await openFile(
        { ...context, scope: await scopeOf(request, db) },
        request.params.archiveCode,
        request.params.fileNumber,
        requestActor(request),
      );
      return reply
        .header('content-type', file.mediaType)
        .header('content-length', file.size)
        .header('content-disposition', contentDisposition(file.fileName))
        .header('x-yidang-digest', file.digest)
        .send(stream);
    },
  );

  app.post(
    '/fixity',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '运行固定性检查（可抽样），修复缺失或损坏的副本',
        body: Type.Optional(Type.Object({ sample: Type.Optional(Type.Integer({ minimum: 1 })) })),
      },
    },
    async (request) => runFixity(context, requestActor(request), { sample: request.body?.sample }),
  );

  app.get(
    '/fixity/runs',
    {
      config: { permission: 'storage.manage' },
      schema: {
        tags,
        summary: '最近的固定性检查',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
      },
    },
    async (request) => ({ runs: await listRuns(db, request.query.limit ?? 20) }),
  );
};
