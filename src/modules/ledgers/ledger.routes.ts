import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.js';
import { accessOf, principalOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid, YidangError } from '../../shared/errors.js';
import { can } from '../access/principal.js';
import type { BlobStore } from '../storage/blob-store.js';
import { rosterRegions } from './ledger.reach.js';
import {
  LedgerBody,
  MadeSchema,
  PREVIEW_ROWS,
  PreviewBody,
  PreviewSchema,
  RosterImportSchema,
  RunSchema,
} from './ledger.schema.js';
import { makeLedger, previewLedger } from './ledger.service.js';
import { listRuns } from './reconcile.repo.js';
import { REPORT_NAMES, type ReportKind } from './reconcile.report.js';
import { reconciliationReport } from './reconcile.reports.service.js';
import { RECONCILE_SOURCES, reconcileList } from './reconcile.service.js';
import { importRoster } from './roster.import.service.js';

// 医保扶贫 over HTTP: import the roster extract and reconcile an uploaded list (multipart), fetch its
// three workbooks, preview a ledger (made, shown, not filed), and file one, as an archive whose files
// are then read through the item file routes.

const tags = ['医保扶贫'];
const errors = errorResponses(400, 401, 403, 404, 409, 413);
const MAX_LIST_BYTES = 100 * 1024 * 1024;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The one file of a multipart upload (field file). */
async function uploadedFile(request: FastifyRequest): Promise<{ content: Buffer; fileName: string }> {
  if (!request.isMultipart())
    throw invalid('MULTIPART_REQUIRED', '请用 multipart/form-data 上传，文件放在 file 字段');
  const part = await request.file();
  if (!part) throw invalid('FILE_MISSING', '请求中没有文件（字段 file）');
  return { content: await part.toBuffer(), fileName: part.filename };
}

const reportLinks = (runId: number) =>
  (Object.keys(REPORT_NAMES) as ReportKind[]).map((kind) => ({
    kind,
    name: REPORT_NAMES[kind],
    href: `/api/v1/reconciliations/${runId}/${kind}.xlsx`,
  }));

/** The ledger files handed back with the answer: one format asked for, both with content=true, or none. */
function formatsHandedBack(query: { format?: string; content?: boolean }): Array<'xlsx' | 'pdf'> {
  if (query.format === 'xlsx' || query.format === 'pdf') return [query.format];
  // A masked copy is rendered only for what is handed back.
  return query.content ? ['xlsx', 'pdf'] : [];
}

/** Who makes a ledger, as the ledger service records them and decides what they may unmask. */
function makerOf(request: FastifyRequest) {
  const principal = principalOf(request);
  return {
    actor: requestActor(request),
    displayName: principal.displayName,
    mayUnmask: can(principal, 'item.unmask'),
  };
}

/** Answers with one ledger file (previewed or made), its digest in X-Ledger-Digest. */
function sendLedgerFile(
  reply: FastifyReply,
  format: 'xlsx' | 'pdf',
  asciiName: string,
  ledger: { digest: string; fileBase: string; xlsx: Buffer; pdf: Buffer },
) {
  return reply
    .header('content-type', format === 'xlsx' ? XLSX : 'application/pdf')
    .header('x-ledger-digest', ledger.digest)
    .header(
      'content-disposition',
      `attachment; filename="${asciiName}.${format}"; filename*=UTF-8''${encodeURIComponent(`${ledger.fileBase}.${format}`)}`,
    )
    .send(format === 'xlsx' ? ledger.xlsx : ledger.pdf);
}

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
    '/ledgers/preview',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary: '预览台账：按数据生成台账，不归档',
        description:
          '与编制台账相同的条件与数据，但不归档、不编档号：答复封面、各表行数与前若干行（默认脱敏），format=xlsx/pdf 直接返回预览文件（摘要在 X-Ledger-Digest 头中），content=true 在 JSON 中附上两个文件。预览文件每页标有“预览 · 未归档”。预览同样展示个人信息，每次预览记入事件日志。核对无误后以答复中的 digest 作为 previewDigest 调用 POST /ledgers 归档。',
        querystring: Type.Object({
          format: Type.Optional(
            Type.Union([Type.Literal('json'), Type.Literal('xlsx'), Type.Literal('pdf')]),
          ),
          content: Type.Optional(Type.Boolean({ description: 'JSON 中附上两个预览文件的内容（base64）' })),
        }),
        body: PreviewBody,
        response: { 200: PreviewSchema, ...errors },
      },
    },
    async (request, reply) => {
      const format = request.query.format;
      const deliver = formatsHandedBack(request.query);
      const previewed = await previewLedger(
        { db, store, access: await accessOf(request, db) },
        { ...(request.body as Parameters<typeof previewLedger>[1]), deliver },
        makerOf(request),
      );
      if (format === 'xlsx' || format === 'pdf')
        return sendLedgerFile(reply, format, 'ledger-preview', previewed);
      const { document } = previewed;
      return {
        preview: true as const,
        digest: previewed.digest,
        mark: document.mark ?? '',
        title: document.title,
        period: document.period,
        cover: document.cover,
        sections: document.sections.map((section) => ({
          title: section.title,
          rows: section.rows.length,
          columns: section.columns.map(({ key, header, kind }) => ({
            key,
            header,
            ...(kind ? { kind } : {}),
          })),
          sample: section.rows.slice(0, PREVIEW_ROWS),
          ...(section.totals ? { totals: section.totals } : {}),
        })),
        files: request.query.content
          ? (['xlsx', 'pdf'] as const).map((kind) => ({
              fileName: `${previewed.fileBase}.${kind}`,
              size: previewed[kind].length,
              contentBase64: previewed[kind].toString('base64'),
            }))
          : [],
      };
    },
  );

  app.post(
    '/ledgers',
    {
      config: { permission: 'poverty.work' },
      schema: {
        tags,
        summary: '编制台账并归档：按数据生成 XLSX 与 PDF，并作为一件档案归入“医保扶贫台账”',
        description:
          '台账只列本人范围内（全宗、地区、类别）的人员；归档副本含身份证号，为敏感档案，日后调阅须经审批。宜先预览（POST /ledgers/preview），核对无误后带上预览的 digest（previewDigest）归档：归档的即是预览的台账，数据自预览后有变化则不归档（409）。编制人在编制时取得文件：format=xlsx 或 format=pdf 直接返回该文件（档号在 X-Archive-Code 头中），或 content=true 在 JSON 中附上两个文件；交付的文件默认脱敏，unmask=true（须有权限并写明 purpose）时为完整信息。',
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
          200: MadeSchema,
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.permissions.has('item.create'))
        throw new YidangError('FORBIDDEN', 'forbidden', '编制台账需同时具有归档权限（台账生成后即归档）');
      const format = request.query.format;
      const deliver = formatsHandedBack(request.query);
      const made = await makeLedger(
        { db, store, access: await accessOf(request, db) },
        { ...(request.body as Parameters<typeof makeLedger>[1]), deliver },
        makerOf(request),
      );
      const code = encodeURIComponent(made.filed.archiveCode);
      if (format === 'xlsx' || format === 'pdf')
        return sendLedgerFile(reply.header('x-archive-code', code), format, 'ledger', made);
      return {
        archiveCode: made.filed.archiveCode,
        digest: made.digest,
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
