import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import { invalid } from '../../shared/errors.js';
import { enqueueCheckAfterFiling } from '../check/check.background.js';
import type { BlobStore } from '../storage/blob-store.js';
import { retryOcr, scopedOcrProgress } from './ocr.service.js';
import {
  addScan,
  MAX_SCAN_BYTES,
  pagesToRescan,
  scanPages,
  scanPolicy,
  setScanPolicy,
} from './scan.service.js';

// Scanned paper over HTTP: upload a scan to an item, its pages with their resolution and OCR state,
// the pages to scan again, the OCR queue's progress, and each fonds' resolution policy.

const tags = ['扫描与OCR'];
const errors = errorResponses(400, 401, 403, 404, 409, 413);
const FLAGS = Type.Array(
  Type.String({
    description: 'low_resolution 分辨率不足 / low_confidence 识别置信度低 / no_text 未识别出文字',
  }),
);
const PageSchema = Type.Object({
  archiveCode: Type.String(),
  page: Type.Integer({ description: '档案内的页序号' }),
  imageName: Type.String({ description: '图像名：档号-页序号' }),
  fileNumber: Type.Integer(),
  pageInFile: Type.Integer(),
  batchId: Nullable(Type.Integer()),
  width: Type.Integer(),
  height: Type.Integer(),
  dpiX: Nullable(Type.Integer()),
  dpiY: Nullable(Type.Integer()),
  colourMode: Type.String({ description: 'bitonal 黑白二值 / gray 灰度 / color 彩色' }),
  flags: FLAGS,
  ocrStatus: Type.String({ description: 'queued 排队 / running 识别中 / done 完成 / failed 失败' }),
  ocrAttempts: Type.Integer(),
  ocrError: Nullable(Type.String()),
  ocrConfidence: Nullable(Type.Number()),
  ocrCharacters: Nullable(Type.Integer()),
});
const ScanResultSchema = Type.Object({
  archiveCode: Type.String(),
  fileNumber: Type.Integer(),
  fileName: Type.String({ description: '按档号与页序号命名' }),
  format: Type.String(),
  pages: Type.Array(
    Type.Object({
      page: Type.Integer(),
      imageName: Type.String(),
      width: Type.Integer(),
      height: Type.Integer(),
      dpiX: Nullable(Type.Integer()),
      dpiY: Nullable(Type.Integer()),
      colourMode: Type.String(),
      flags: FLAGS,
    }),
  ),
  lowResolution: Type.Array(Type.Integer(), { description: '按全宗规则收下但分辨率不足的页' }),
  warnings: Type.Array(Type.String(), {
    description: '提示（扩展名与内容不符、相同内容重复挂接），不影响保存',
  }),
});
const PolicySchema = Type.Object(
  {
    minDpi: Type.Integer({ minimum: 72, maximum: 2400, description: '最低扫描分辨率（dpi）' }),
    lowDpi: Type.Union([Type.Literal('reject'), Type.Literal('flag')], {
      description: 'reject 拒收 / flag 收下并标记重扫',
    }),
  },
  { additionalProperties: false },
);
const ProgressSchema = Type.Object({
  pages: Type.Integer(),
  finished: Type.Number({ description: '已结束（完成或失败）的比例 0–1' }),
  byStatus: Type.Object({
    queued: Type.Integer(),
    running: Type.Integer(),
    done: Type.Integer(),
    failed: Type.Integer(),
  }),
  lowConfidence: Type.Integer(),
  noText: Type.Integer(),
  recentlyDone: Type.Integer({ description: '最近10分钟完成的页数' }),
  pagesPerMinute: Type.Number(),
  minutesLeft: Nullable(Type.Integer()),
  meanConfidence: Nullable(Type.Number()),
  meanSeconds: Nullable(Type.Number()),
});
const CodeParams = Type.Object({
  archiveCode: Type.String({ maxLength: 200, description: '档号（URL 编码）' }),
});

export const scanRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store: BlobStore;
  /** Read by the check job the server registers (src/system/jobs.ts), not here. */
  clamavDatabase?: string;
}> = async (app, { db, store }) => {
  await app.register(multipart, {
    preservePath: true,
    // One byte past the limit reaches the service, which refuses it; at the limit busboy would only cut it.
    limits: { fileSize: MAX_SCAN_BYTES + 1, files: 1, fields: 5 },
  });

  app.post(
    '/items/:archiveCode/scans',
    {
      config: { permission: 'file.add' },
      schema: {
        tags,
        summary: '上传扫描件（TIFF 多页、JPEG、PNG、PDF；multipart 字段 file），检查分辨率并排队 OCR',
        consumes: ['multipart/form-data'],
        params: CodeParams,
        querystring: Type.Object({
          batch: Type.Optional(Type.Integer({ minimum: 1, description: '数字化批次编号' })),
        }),
        response: { 201: ScanResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
      const part = await request.file();
      if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
      const result = await addScan(
        { db, store, access: await accessOf(request, db) },
        request.params.archiveCode,
        { stream: part.file, fileName: part.filename },
        requestActor(request),
        {
          batchId: request.query.batch,
          // The four-property check is a job queued in the scan's transaction (runs after the response).
          onFiled: (trx, archiveCode) => enqueueCheckAfterFiling(trx, archiveCode, requestActor(request)),
        },
      );
      return reply.status(201).send(result);
    },
  );

  app.get(
    '/items/:archiveCode/scans',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: '档案的扫描页：分辨率、色彩、标记与 OCR 状态',
        params: CodeParams,
        response: { 200: Type.Object({ pages: Type.Array(PageSchema) }), ...errors },
      },
    },
    async (request) => ({
      pages: await scanPages(db, request.params.archiveCode, await accessOf(request, db)),
    }),
  );

  app.get(
    '/scans/rescan',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: '待重扫的页：分辨率不足、识别置信度低或未识别出文字',
        querystring: Type.Object({
          batch: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Object({ pages: Type.Array(PageSchema) }), ...errors },
      },
    },
    async (request) => ({
      pages: await pagesToRescan(db, {
        batchId: request.query.batch,
        limit: request.query.limit,
        access: await accessOf(request, db),
      }),
    }),
  );

  app.get(
    '/ocr/progress',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: 'OCR 队列进度（全部或某一批次）',
        querystring: Type.Object({ batch: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: ProgressSchema, ...errors },
      },
    },
    async (request) => scopedOcrProgress(db, request.query.batch, await accessOf(request, db)),
  );

  app.post(
    '/ocr/retry',
    {
      config: { permission: 'file.add' },
      schema: {
        tags,
        summary: '重新识别：某件档案的全部页，或失败的页（可限某一批次）',
        body: Type.Object(
          {
            archiveCode: Type.Optional(Type.String({ maxLength: 200 })),
            batchId: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ queued: Type.Integer() }), ...errors },
      },
    },
    async (request) => ({ queued: await retryOcr(db, request.body, await accessOf(request, db)) }),
  );

  app.get(
    '/fonds/:code/scan-policy',
    {
      config: { permission: 'catalog.read' },
      schema: {
        tags,
        summary: '全宗的扫描分辨率要求',
        params: Type.Object({ code: Type.String({ maxLength: 20 }) }),
        response: { 200: PolicySchema, ...errors },
      },
    },
    async (request) => scanPolicy(db, request.params.code),
  );

  app.put(
    '/fonds/:code/scan-policy',
    {
      config: { permission: 'catalog.manage' },
      schema: {
        tags,
        summary: '设置全宗的扫描分辨率要求（默认 300 dpi，不足时拒收）',
        params: Type.Object({ code: Type.String({ maxLength: 20 }) }),
        body: PolicySchema,
        response: { 200: PolicySchema, ...errors },
      },
    },
    async (request) => setScanPolicy(db, request.params.code, request.body, requestActor(request)),
  );
};
