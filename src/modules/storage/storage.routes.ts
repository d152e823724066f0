import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { requestActor } from '../../http/request.js';
import { Nullable } from '../../http/schemas.js';
import { invalid, isYidangError } from '../../shared/errors.js';
import { deliverFile } from '../watermark/delivery.service.js';
import { type BlobStore, MAX_FILE_BYTES } from './blob-store.js';
import { addFile, listFiles } from './file.service.js';
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
  mediaType: Type.String({ description: '按文件内容（而非扩展名）识别的类型' }),
  size: Type.Integer(),
  digest: Type.String({ description: '内容摘要 算法:十六进制' }),
  addedBy: Type.String(),
  addedAt: Type.String({ format: 'date-time' }),
  replicas: Type.Array(Type.String(), { description: '持有完好副本的位置' }),
  warnings: Type.Optional(
    Type.Array(Type.String(), {
      description: '上传时的提示（扩展名与内容不符、相同内容重复挂接），不影响保存',
    }),
  ),
});

const FIXITY_COUNTS = {
  blobs: Type.Integer({ description: '检查的文件数' }),
  copies: Type.Integer({ description: '检查的副本数' }),
  bytes: Type.Integer({ description: '读取的字节数' }),
  ok: Type.Integer({ description: '完好的副本数' }),
  repaired: Type.Integer({ description: '已修复的副本数' }),
  unrepaired: Type.Integer({ description: '修复失败的副本数' }),
  lost: Type.Integer({ description: '所有副本均缺失或损坏的文件数（须从备份恢复）' }),
};
const FixityReportSchema = Type.Object({
  runId: Type.Integer({ description: '检查编号' }),
  ...FIXITY_COUNTS,
  findings: Type.Array(
    Type.Object({
      digest: Type.String({ description: '文件内容摘要' }),
      replica: Type.String({ description: '副本位置；* 表示全部副本' }),
      problem: Type.String({ description: 'missing 缺失 / corrupt 损坏 / lost 全部副本丢失' }),
      repaired: Type.Boolean({ description: '已修复' }),
      detail: Type.String({ description: '说明' }),
    }),
    { description: '发现的问题（最多列出 1000 条）' },
  ),
  lostFiles: Type.Array(Type.String(), { description: '没有完好副本的文件摘要' }),
  temporaryRemoved: Type.Integer({ description: '清理的中断写入遗留临时文件数' }),
});
const FixityRunSchema = Type.Object({
  id: Type.Integer({ description: '检查编号' }),
  started_at: Type.String({ format: 'date-time', description: '开始时间' }),
  finished_at: Nullable(Type.String({ format: 'date-time', description: '结束时间；进行中为 null' })),
  actor: Type.String({ description: '操作人' }),
  sample: Nullable(Type.Integer({ description: '抽样文件数；null 为全部检查' })),
  ...FIXITY_COUNTS,
  status: Type.String({ description: 'running 进行中 / finished 完成 / failed 失败' }),
});

/** RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name, so Chinese names survive every browser. */
function contentDisposition(name: string, inline = false): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
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
        { ...context, access: await accessOf(request, db) },
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
      files: await listFiles(db, request.params.archiveCode, await accessOf(request, db)),
    }),
  );

  app.get(
    '/items/:archiveCode/files/:fileNumber',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary:
          '查看或下载电子文件：PDF 与图像加盖可见水印（查阅人、时间、用途、追踪号），追踪号记入日志；TIFF 以 PDF 交付',
        params: Type.Object({
          archiveCode: Type.String({ maxLength: 200 }),
          fileNumber: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        }),
        querystring: Type.Object({
          purpose: Type.Optional(
            Type.String({ maxLength: 200, description: '用途（印在水印上并记入日志）' }),
          ),
          inline: Type.Optional(Type.Boolean({ description: '在浏览器中直接查看而非下载' })),
        }),
        response: {
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          404: ErrorResponseSchema,
          413: ErrorResponseSchema,
          422: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const copy = await deliverFile(
        { ...context, access: await accessOf(request, db) },
        request.params.archiveCode,
        request.params.fileNumber,
        { username: principal.username, displayName: principal.displayName },
        { purpose: request.query.purpose },
      ).catch((error: unknown) => {
        // A stored file out of bounds (kept from before the bounds, or put in past them) is an
        // archivist's matter: logged for them, answered 422, and it never reaches the rasteriser.
        if (isYidangError(error) && error.code === 'FILE_BOUNDS_EXCEEDED')
          request.log.warn(
            { code: error.code, fileNumber: request.params.fileNumber, detail: error.message },
            'stored file out of bounds: copy refused',
          );
        throw error;
      });
      reply
        .header('content-type', copy.mediaType)
        .header('content-disposition', contentDisposition(copy.fileName, request.query.inline))
        // The stored original's digest; a marked copy differs from it by design.
        .header('x-yidang-digest', copy.file.digest)
        .header('x-yidang-trace', copy.traceId)
        .header('x-yidang-watermark', copy.watermarked ? 'visible' : 'none')
        .header('cache-control', 'no-store')
        // Stored content is never run as a page of this site (an uploaded XHTML or SVG with a script).
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'");
      if (!copy.watermarked) reply.header('content-length', copy.file.size);
      return reply.send(copy.body);
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
        response: { 200: FixityReportSchema },
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
        response: { 200: Type.Object({ runs: Type.Array(FixityRunSchema) }) },
      },
    },
    async (request) => ({
      runs: (await listRuns(db, request.query.limit ?? 20)).map((run) => ({
        ...run,
        started_at: run.started_at.toISOString(),
        finished_at: run.finished_at?.toISOString() ?? null,
      })),
    }),
  );
};
