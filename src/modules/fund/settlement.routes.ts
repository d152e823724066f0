import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid } from '../../shared/errors.js';
import { listFundItems } from './fund-item.repo.js';
import { authorizeFund } from './settlement.access.js';
import { importSettlementFile, MAX_EXTRACT_BYTES, tooLargeMessage } from './settlement.import.js';
import { listSettlementImports, readSettlementImport } from './settlement.imports.service.js';
import { type PushedSettlement, pushSettlements } from './settlement.push.js';
import { settlementImportReport } from './settlement.report.js';
import {
  FundItemSchema,
  ImportRecordSchema,
  ImportReportSchema,
  ItemsQuery,
  PushBodySchema,
  RefusalSchema,
  SettlementDetailSchema,
  SettlementSchema,
  SettlementsQuery,
} from './settlement.schema.js';
import { listSettlements, readSettlement } from './settlement.service.js';

// 结算数据 over HTTP: the 医保目录, settlements (list, one by serial, push) and extract imports
// (multipart upload → row-by-row report, or the report as XLSX). Reading needs fund.read and stays
// within the caller's regions; importing and pushing need fund.import.

const tags = ['基金监管'];
const READ = { permission: 'fund.read' } as const;
const IMPORT = { permission: 'fund.import' } as const;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const attachment = (name: string) =>
  `attachment; filename="settlement-import-report.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;

export const settlementRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  // One more byte than the limit: a larger upload is cut off there and refused, never held whole.
  await app.register(multipart, { limits: { fileSize: MAX_EXTRACT_BYTES + 1, files: 1, fields: 0 } });

  app.get(
    '/fund/items',
    {
      config: READ,
      schema: {
        tags,
        summary: '医保目录（审核规则所用的项目属性：限性别、限年龄、每日限次、限定诊断、包含与组合）',
        querystring: ItemsQuery,
        response: {
          200: Type.Object({ items: Type.Array(FundItemSchema) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      authorizeFund(await accessOf(request, db), 'fund.read');
      return { items: await listFundItems(db, request.query) };
    },
  );

  app.get(
    '/fund/settlements',
    {
      config: READ,
      schema: {
        tags,
        summary: '结算记录（限您范围内的统筹区；可按地区、机构、参保人身份证号、结算期间、医疗类别筛选）',
        querystring: SettlementsQuery,
        response: {
          200: Type.Object({
            settlements: Type.Array(SettlementSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => listSettlements(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/fund/settlements/:serial',
    {
      config: READ,
      schema: {
        tags,
        summary: '一笔结算：表头、明细与对应的档案（档号，脱敏）',
        params: Type.Object({ serial: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: SettlementDetailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => readSettlement(db, await accessOf(request, db), request.params.serial),
  );

  app.post(
    '/fund/settlements',
    {
      config: IMPORT,
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags,
        summary: '推送结算数据（JSON，每批 1 至 1000 笔）：与文件导入相同的校验，按流水号幂等',
        description: '同一流水号、同一内容再次推送为跳过；内容不同则拒绝，不覆盖。',
        body: PushBodySchema,
        response: { 200: ImportReportSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request) =>
      pushSettlements(db, await accessOf(request, db), request.body.settlements as PushedSettlement[]),
  );

  app.post(
    '/fund/imports',
    {
      config: IMPORT,
      schema: {
        tags,
        summary: '导入结算数据文件（CSV 或 XLSX，multipart/form-data，字段 file）',
        description:
          '每行一条明细，表头列在每行重复，按结算流水号归并；逐行报告未通过的原因。同一文件再次导入时，已写入的结算跳过。report=xlsx 时返回导入报告（XLSX）。',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          encoding: Type.Optional(Type.Union([Type.Literal('gbk'), Type.Literal('utf8')])),
          report: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xlsx')])),
        }),
        response: { 200: ImportReportSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
      const part = await request.file();
      if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
      const content = await part.toBuffer().catch((error: { code?: string }) => {
        if (error.code === 'FST_REQ_FILE_TOO_LARGE')
          throw invalid('IMPORT_TOO_LARGE', tooLargeMessage(MAX_EXTRACT_BYTES + 1));
        throw error;
      });
      const report = await importSettlementFile(
        db,
        await accessOf(request, db),
        { name: part.filename, content },
        { encoding: request.query.encoding },
      );
      if (request.query.report !== 'xlsx') return report;
      return reply
        .header('content-type', XLSX)
        .header('content-disposition', attachment(`结算数据导入报告-${report.importId}.xlsx`))
        .send(await settlementImportReport(report));
    },
  );

  app.get(
    '/fund/imports',
    {
      config: IMPORT,
      schema: {
        tags,
        summary: '结算数据的导入批次（文件与推送）',
        querystring: Type.Object({
          cursor: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: {
          200: Type.Object({
            imports: Type.Array(ImportRecordSchema),
            nextCursor: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => listSettlementImports(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/fund/imports/:id',
    {
      config: IMPORT,
      schema: {
        tags,
        summary: '一个导入批次及其未通过的行；report=xlsx 时下载导入报告',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({
          report: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('xlsx')])),
        }),
        response: {
          200: Type.Composite([ImportRecordSchema, Type.Object({ report: Type.Array(RefusalSchema) })]),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const found = await readSettlementImport(db, await accessOf(request, db), request.params.id);
      if (request.query.report !== 'xlsx') return found;
      const refused = new Set(found.report.map((row) => row.serial || `row:${row.row}`)).size;
      return reply
        .header('content-type', XLSX)
        .header('content-disposition', attachment(`结算数据导入报告-${found.id}.xlsx`))
        .send(
          await settlementImportReport({
            importId: found.id,
            fileName: found.fileName,
            source: found.encoding,
            rows: found.totalRows,
            settlements: found.totalSettlements,
            imported: found.imported,
            skipped: 0,
            refused,
            refusedRows: found.report,
            truncated: found.report.length >= 20_000,
          }),
        );
    },
  );
};
