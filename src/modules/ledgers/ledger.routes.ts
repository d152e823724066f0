import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid, YidangError } from '../../shared/errors.js';
import { can } from '../access/principal.js';
import type { BlobStore } from '../storage/blob-store.js';
import { rosterRegions } from './ledger.reach.js';
import { makeLedger } from './ledger.service.js';
import { LEDGER_KINDS } from './ledger-category.js';
import { OUTCOME_NAMES } from './reconcile.findings.js';
import { listRuns } from './reconcile.repo.js';
import { REPORT_NAMES, type ReportKind } from './reconcile.report.js';
import { reconciliationReport } from './reconcile.reports.service.js';
import { RECONCILE_SOURCES, reconcileList } from './reconcile.service.js';
import { importRoster } from './roster.import.service.js';

// 医保扶贫 over HTTP: import the roster extract and reconcile an uploaded list (multipart), fetch its three workbooks, and make a
// ledger, which is filed as an archive whose files are then read through the item file routes.

const tags = ['医保扶贫'];
const errors = errorResponses(400, 401, 403, 404, 413);
const MAX_LIST_BYTES = 100 * 1024 * 1024;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const Counts = Type.Object(
  Object.fromEntries(
    Object.entries(OUTCOME_NAMES).map(([key, name]) => [key, Type.Integer({ description: name })]),
  ),
);
const RunSchema = Type.Object({
  runId: Type.Integer(),
  source: Type.String(),
  fileName: Type.String(),
  rows: Type.Integer({ description: '名单数据行数（不含跳过的空行、表头、合计行）' }),
  counts: Counts,
  followUps: Type.Integer({ description: '需督促参保缴费的人数' }),
  durationMs: Type.Integer(),
  reports: Type.Array(Type.Object({ kind: Type.String(), name: Type.String(), href: Type.String() })),
});

/** The one file of a multipart upload (field file). */
async function uploadedFile(request: FastifyRequest): Promise<{ content: Buffer; fileName: string }> {
  if (!request.isMultipart())
    throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
  const part = await request.file();
  if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
  return { content: await part.toBuffer(), fileName: part.filename };
}

const Tally = Type.Object({ added: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() });
const RosterImportSchema = Type.Object({
  fileName: Type.String(),
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  source: Type.String({ description: '编码（CSV）或工作表名（XLSX）' }),
  headerLine: Type.Integer({ description: '表头所在行' }),
  columns: Type.Record(Type.String(), Type.String(), { description: '识别出的列：用途 → 文件中的列名' }),
  rows: Type.Integer({ description: '数据行数（不含空行、标题、表头、合计行）' }),
  people: Tally,
  enrollments: Tally,
  rejected: Type.Array(Type.Object({ line: Type.Integer(), reasons: Type.Array(Type.String()) }), {
    description: '未导入的行及原因（不含姓名与身份证号）',
  }),
  skipped: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
  dryRun: Type.Boolean(),
});

const reportLinks = (runId: number) =>
  (Object.keys(REPORT_NAMES) as ReportKind[]).map((kind) => ({
    kind,
    name: REPORT_NAMES[kind],
    href: `/api/v1/reconciliations/${runId}/${kind}.xlsx`,
  }));

const LedgerBody = Type.Object(
  {
    kind: Type.Union(
      Object.keys(LEDGER_KINDS).map((kind) => Type.Literal(kind)),
      {
        description: Object.entries(LEDGER_KINDS)
          .map(([key, name]) => `${key} ${name}`)
          .join('；'),
      },
    ),
    asOf: Type.Optional(Type.String({ description: '截至日期（参保、慢病、两病台账）' })),
    month: Type.Optional(Type.String({ description: '月份 YYYY-MM（动态台账）' })),
    from: Type.Optional(Type.String({ description: '起始日期（待遇享受台账）' })),
    to: Type.Optional(Type.String({ description: '截止日期（待遇享受台账）' })),
    fonds: Type.Optional(Type.String({ description: '全宗号；只有一个全宗时可省略' })),
    org: Type.Optional(Type.String({ description: '档号中的机构（问题）代码，默认 FP' })),
    region: Type.Optional(
      Type.String({
        maxLength: 6,
        description: '台账所属地区（6 位行政区划代码），须在本人范围内；默认为本人范围内的全部地区',
      }),
    ),
    unmask: Type.Optional(
      Type.Boolean({ description: '交付未脱敏的台账（需 item.unmask 权限与用途，记入事件日志）；默认脱敏' }),
    ),
    purpose: Type.Optional(Type.String({ maxLength: 200, description: '取得未脱敏台账的用途（记入日志）' })),
  },
  { additionalProperties: false },
);

export const ledgerRoutes: FastifyPluginAsyncTypebox<{ db: Db; store: BlobStore }> = async (
  app,
  { db, store },
) => {
  await app.register(multipart, { limits: { fileSize: MAX_LIST_BYTES, files: 1, fields: 0 } });

  app.post(
    '/reconciliations',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary: '核对名单：上传扶贫办或民政的名单（CSV/XLSX，multipart 字段 file），与参保名册逐行比对',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          source: Type.Union(
            RECONCILE_SOURCES.map((source) => Type.Literal(source)),
            { description: '来文单位' },
          ),
        }),
        response: { 200: RunSchema, ...errors },
      },
    },
    async (request) => {
      const { content, fileName } = await uploadedFile(request);
      const result = await reconcileList(db, {
        content,
        fileName,
        source: request.query.source,
        actor: requestActor(request),
        regions: await rosterRegions(db, await accessOf(request, db)),
      });
      const { findings: _findings, resolved: _resolved, ...summary } = result;
      return { ...summary, reports: reportLinks(result.runId) };
    },
  );

  app.post(
    '/roster/imports',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary:
          '导入参保人员名册：业务系统导出的 CSV/XLSX（multipart 字段 file），一行一条参保记录；再次导入同一名册不会重复',
        consumes: ['multipart/form-data'],
        querystring: Type.Object({
          dryRun: Type.Optional(Type.Boolean({ description: '只检查并统计，不写入' })),
        }),
        response: { 200: RosterImportSchema, ...errors },
      },
    },
    async (request) => {
      const { content, fileName } = await uploadedFile(request);
      return importRoster(db, {
        content,
        fileName,
        actor: requestActor(request),
        dryRun: request.query.dryRun,
      });
    },
  );

  app.get(
    '/reconciliations',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary: '本人近期的名单核对',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
        response: {
          200: Type.Object({
            runs: Type.Array(
              Type.Object({
                id: Type.Integer(),
                source: Type.String(),
                fileName: Type.String(),
                rowCount: Type.Integer(),
                actor: Type.String(),
                createdAt: Type.String(),
                durationMs: Type.Integer(),
                summary: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      runs: (await listRuns(db, request.query.limit ?? 50, requestActor(request))).map((run) => ({
        ...run,
        createdAt: run.createdAt.toISOString(),
      })),
    }),
  );

  app.get(
    '/reconciliations/:id/:report',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary:
          '本人发起的核对的结果工作簿：corrections.xlsx 返回更正清单 / follow-ups.xlsx 待办清单 / summary.xlsx 汇总（默认脱敏）',
        params: Type.Object({
          id: Type.Integer({ minimum: 1 }),
          report: Type.Union([
            Type.Literal('corrections.xlsx'),
            Type.Literal('follow-ups.xlsx'),
            Type.Literal('summary.xlsx'),
          ]),
        }),
        querystring: Type.Object({
          unmask: Type.Optional(
            Type.Boolean({
              description: '导出未脱敏的结果（需 item.unmask 权限与用途，记入事件日志）；默认脱敏',
            }),
          ),
          purpose: Type.Optional(Type.String({ maxLength: 200, description: '用途（记入日志）' })),
        }),
        response: { 200: Type.Unknown({ description: 'XLSX' }), ...errors },
      },
    },
    async (request, reply) => {
      const kind = request.params.report.replace(/\.xlsx$/, '') as ReportKind;
      const principal = principalOf(request);
      const { content, fileName } = await reconciliationReport(db, request.params.id, kind, {
        actor: requestActor(request),
        displayName: principal.displayName,
        mayUnmask: can(principal, 'item.unmask'),
        unmask: request.query.unmask,
        purpose: request.query.purpose,
      });
      return reply
        .header('content-type', XLSX)
        .header(
          'content-disposition',
          `attachment; filename="${kind}.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
        )
        .send(content);
    },
  );

  app.post(
    '/ledgers',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary: '编制台账：按数据生成 XLSX 与 PDF，并作为一件档案归入“医保扶贫台账”',
        description:
          '台账只列本人范围内（全宗、地区、类别）的人员；归档副本含身份证号，为敏感档案，日后调阅须经审批。编制人在编制时取得文件：format=xlsx 或 format=pdf 直接返回该文件（档号在 X-Archive-Code 头中），或 content=true 在 JSON 中附上两个文件；交付的文件默认脱敏，unmask=true（须有权限并写明 purpose）时为完整信息。',
        querystring: Type.Object({
          format: Type.Optional(
            Type.Union([Type.Literal('json'), Type.Literal('xlsx'), Type.Literal('pdf')]),
          ),
          content: Type.Optional(
            Type.Boolean({
              description: 'JSON 中附上两个文件的内容（base64），编制人可当场保存，不必再编制',
            }),
          ),
        }),
        body: LedgerBody,
        response: {
          200: Type.Object({
            archiveCode: Type.String(),
            title: Type.String(),
            period: Type.String(),
            cover: Type.Array(Type.Object({ label: Type.String(), value: Type.String() })),
            sections: Type.Array(Type.Object({ title: Type.String(), rows: Type.Integer() })),
            files: Type.Array(
              Type.Object({
                fileNumber: Type.Integer(),
                fileName: Type.String(),
                digest: Type.String(),
                size: Type.Integer(),
                href: Type.String(),
                contentBase64: Type.Optional(
                  Type.String({ description: '交付给编制人的副本（默认脱敏）；size 与 digest 为归档副本的' }),
                ),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.permissions.has('item.create'))
        throw new YidangError('FORBIDDEN', 'forbidden', '编制台账需同时具有归档权限（台账生成后即归档）');
      const format = request.query.format;
      // A masked copy is rendered only for what is handed back.
      const deliver =
        format === 'xlsx' || format === 'pdf'
          ? [format]
          : request.query.content
            ? (['xlsx', 'pdf'] as const)
            : [];
      const made = await makeLedger(
        { db, store, access: await accessOf(request, db) },
        { ...(request.body as Parameters<typeof makeLedger>[1]), deliver },
        {
          actor: requestActor(request),
          displayName: principal.displayName,
          mayUnmask: can(principal, 'item.unmask'),
        },
      );
      const code = encodeURIComponent(made.filed.archiveCode);
      if (format === 'xlsx' || format === 'pdf')
        return reply
          .header('content-type', format === 'xlsx' ? XLSX : 'application/pdf')
          .header('x-archive-code', code)
          .header(
            'content-disposition',
            `attachment; filename="ledger.${format}"; filename*=UTF-8''${encodeURIComponent(`${made.fileBase}.${format}`)}`,
          )
          .send(format === 'xlsx' ? made.xlsx : made.pdf);
      return {
        archiveCode: made.filed.archiveCode,
        title: made.document.title,
        period: made.document.period,
        cover: made.document.cover,
        sections: made.document.sections.map((section) => ({
          title: section.title,
          rows: section.rows.length,
        })),
        files: made.filed.files.map((file) => ({
          ...file,
          href: `/api/v1/items/${code}/files/${file.fileNumber}`,
          // The copy handed back (masked unless unmasked); the filed copy is read as the item's file.
          ...(request.query.content
            ? { contentBase64: (file.fileName.endsWith('.pdf') ? made.pdf : made.xlsx).toString('base64') }
            : {}),
        })),
      };
    },
  );
};
