import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid } from '../../shared/errors.js';
import { DEFAULT_LIMITS } from '../../shared/spreadsheet/limits.js';
import { listMappings } from './import.repo.js';
import { importReport } from './import.report.js';
import { importTable, loadMapping, saveImportMapping } from './import.service.js';

// Batch import over HTTP (the web console's 导入 page): the file as multipart, the result row by row
// as JSON, or the same as the XLSX report.

const tags = ['归档接入'];
const errors = errorResponses(400, 401, 403, 413);
// The reader's own bound: a larger upload is cut off before it is held whole.
const MAX_IMPORT_BYTES = DEFAULT_LIMITS.maxFileBytes;

const IssueSchema = Type.Object({ field: Type.String(), message: Type.String() });
const ImportResultSchema = Type.Object({
  jobId: Type.Integer(),
  fileName: Type.String(),
  format: Type.String({ description: 'csv 或 xlsx' }),
  source: Type.String({ description: 'CSV 的编码或 XLSX 的工作表名' }),
  allOrNothing: Type.Boolean(),
  resumed: Type.Boolean({ description: '同一文件与映射此前导入过：已归档的行跳过' }),
  total: Type.Integer(),
  filed: Type.Integer(),
  rejected: Type.Integer(),
  skipped: Type.Integer(),
  lines: Type.Array(
    Type.Object({
      line: Type.Integer({ description: '文件中的行号' }),
      status: Type.String({
        description: 'filed 已归档 / rejected 未通过 / skipped 此前已导入 / withheld 整批撤回',
      }),
      archiveCode: Type.Optional(Type.String()),
      issues: Type.Array(IssueSchema),
    }),
  ),
});
const MappingSchema = Type.Object(
  {
    columns: Type.Optional(Type.Record(Type.String(), Type.String(), { description: '列名 → 字段' })),
    defaults: Type.Optional(Type.Record(Type.String(), Type.String(), { description: '字段 → 固定值' })),
  },
  { additionalProperties: false },
);

export const importRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 0 } });

  app.post(
    '/imports',
    {
      config: { permission: 'item.create' },
      schema: {
        tags,
        summary: '批量导入 CSV 或 XLSX（multipart/form-data，字段 file）：逐行校验后分批归档',
        description:
          '返回逐行结果；report=xlsx 时返回导入报告（XLSX）。同一文件与映射再次导入时，已归档的行跳过。',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          mapping: Type.Optional(Type.String({ maxLength: 50, description: '已保存的列映射名称' })),
          allOrNothing: Type.Optional(Type.Boolean({ description: '有任何一行不通过则一行也不归档' })),
          batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          report: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xlsx')])),
        }),
        response: { 200: ImportResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
      const part = await request.file();
      if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
      const content = await part.toBuffer();
      const query = request.query;
      const result = await importTable(db, { name: part.filename, content }, requestActor(request), {
        mapping: query.mapping ? await loadMapping(db, query.mapping) : undefined,
        allOrNothing: query.allOrNothing,
        batchSize: query.batchSize,
        access: await accessOf(request, db),
      });
      if (query.report !== 'xlsx') return result;
      const name = `${part.filename.replace(/\.[^.]*$/, '')}.导入报告.xlsx`;
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header(
          'content-disposition',
          `attachment; filename="import-report.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .send(await importReport(result));
    },
  );

  app.get(
    '/import-mappings',
    {
      config: { permission: 'item.create' },
      schema: {
        tags,
        summary: '已保存的列映射',
        response: {
          200: Type.Object({
            mappings: Type.Array(
              Type.Object({ name: Type.String(), savedBy: Type.String(), savedAt: Type.String() }),
            ),
          }),
        },
      },
    },
    async () => ({
      mappings: (await listMappings(db)).map((row) => ({ ...row, savedAt: row.savedAt.toISOString() })),
    }),
  );

  app.put(
    '/import-mappings/:name',
    {
      config: { permission: 'item.create' },
      schema: {
        tags,
        summary: '保存列映射（如按来源部门命名）',
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }) }),
        body: MappingSchema,
        response: { 200: MappingSchema, ...errors },
      },
    },
    async (request) => saveImportMapping(db, request.params.name, request.body, requestActor(request)),
  );
};
