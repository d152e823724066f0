import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses } from '../../http/schemas.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { findCheckRun } from './check.repo.js';
import { type CheckReport, checkReportWorkbook } from './check.report.js';
import { checkBatch, checkFondsYear, checkItem, getCheckReport } from './check.service.js';

// 四性检测 over HTTP: run a check of one item, a digitization batch or a fonds' year, fetch a kept
// report, or take it as XLSX. Items outside the caller's scope are not found, as everywhere.

const tags = ['归档接入'];
const errors = errorResponses(400, 401, 403, 404);
const STATUS = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('skipped')], {
  description: 'pass 通过 / fail 不通过 / skipped 未检测',
});
const ReportSchema = Type.Object({
  id: Type.Integer({ description: '检测编号' }),
  trigger: Type.String({ description: 'on_demand 按需 / ingest 归档时 / transfer 移交时' }),
  target: Type.Object({
    kind: Type.String({ description: 'item / batch / fonds_year' }),
    value: Type.String(),
  }),
  runBy: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  summary: Type.Object({
    items: Type.Integer(),
    passedItems: Type.Integer(),
    failedItems: Type.Integer(),
    passed: Type.Integer(),
    failed: Type.Integer(),
    skipped: Type.Integer(),
  }),
  items: Type.Array(
    Type.Object({
      archiveCode: Type.String(),
      outcome: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
      checks: Type.Array(
        Type.Object({
          id: Type.String({ description: '检测项，如 digest、opens、virus_scan' }),
          name: Type.String(),
          property: Type.String({ description: 'authenticity / integrity / usability / security' }),
          propertyName: Type.String({ description: '真实性 / 完整性 / 可用性 / 安全性' }),
          status: STATUS,
          detail: Type.String(),
        }),
      ),
    }),
  ),
});
const RunParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/**
 * A kept report for the one who ran it (the items of it still in their scope), or for someone whose
 * scope covers every item of it; anyone else is answered as if it did not exist.
 */
async function ownedReport(db: Db, id: number, reader: string, access: AccessContext): Promise<CheckReport> {
  const report = await getCheckReport(db, id, access);
  const run = await findCheckRun(db, id);
  if (report.runBy !== reader && run?.items !== report.summary.items)
    throw notFound('CHECK_NOT_FOUND', `检测记录 ${id} 不存在`);
  return report;
}

export const checkRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  store: BlobStore;
  clamavDatabase?: string;
}> = async (app, { db, store, clamavDatabase }) => {
  const context = { db, store, virus: { database: clamavDatabase } };

  app.post(
    '/checks',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary:
          '四性检测（真实性、完整性、可用性、安全性）：一件（archiveCode）、一个数字化批次（batchId）或一个全宗年度（fonds + year）',
        body: Type.Object(
          {
            archiveCode: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '档号' })),
            batchId: Type.Optional(Type.Integer({ minimum: 1, description: '数字化批次编号' })),
            fonds: Type.Optional(
              Type.String({ minLength: 1, maxLength: 4, description: '全宗号（与 year 同用）' }),
            ),
            year: Type.Optional(
              Type.Integer({ minimum: 1900, maximum: 9999, description: '年度（与 fonds 同用）' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: ReportSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { archiveCode, batchId, fonds, year } = request.body;
      const targets = [
        archiveCode !== undefined,
        batchId !== undefined,
        fonds !== undefined || year !== undefined,
      ];
      if (targets.filter(Boolean).length !== 1)
        throw invalid('CHECK_TARGET_INVALID', '请只指定一个检测范围：archiveCode、batchId，或 fonds 与 year');
      const actor = requestActor(request);
      const access = await accessOf(request, db);
      let report: Awaited<ReturnType<typeof checkItem>>;
      if (archiveCode !== undefined) report = await checkItem(context, archiveCode, actor, access);
      else if (batchId !== undefined) report = await checkBatch(context, batchId, actor, access);
      else if (fonds !== undefined && year !== undefined)
        report = await checkFondsYear(context, { fonds, year }, actor, access);
      else throw invalid('CHECK_TARGET_INVALID', '按全宗检测须同时给出 fonds 与 year');
      return reply.code(201).send(report);
    },
  );

  app.get(
    '/checks/:id',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '一次四性检测的报告',
        params: RunParams,
        response: { 200: ReportSchema, ...errors },
      },
    },
    async (request) => ownedReport(db, request.params.id, requestActor(request), await accessOf(request, db)),
  );

  app.get(
    '/checks/:id/report.xlsx',
    {
      config: { permission: 'integrity.read' },
      schema: { tags, summary: '四性检测报告（XLSX）', params: RunParams },
    },
    async (request, reply) => {
      const report = await ownedReport(
        db,
        request.params.id,
        requestActor(request),
        await accessOf(request, db),
      );
      const name = `四性检测报告-${report.id}.xlsx`;
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header(
          'content-disposition',
          `attachment; filename="check-report-${report.id}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .send(await checkReportWorkbook(report));
    },
  );
};
