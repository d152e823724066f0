import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { requestActor } from '../../http/request.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import {
  batchViews,
  createBatch,
  decideBatch,
  drawSample,
  type QcReport,
  qcReport,
  reviewPage,
} from './qc.service.js';
import type { BatchRow } from './scan.repo.js';

// Digitization batches and their quality control (质检) over HTTP.

const tags = ['数字化质检'];
const errors = errorResponses(400, 401, 403, 404, 409);
const BatchSchema = Type.Object({
  id: Type.Integer(),
  fondsCode: Type.String(),
  name: Type.String(),
  status: Type.String({
    description: 'scanning 扫描中 / sampled 质检中 / accepted 验收合格 / returned 退回返工',
  }),
  sampleRate: Type.Number(),
  maxErrorRate: Type.Number(),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  pages: Type.Integer(),
  ocrDone: Type.Integer(),
  flagged: Type.Integer(),
});
const SampleSchema = Type.Object({
  archiveCode: Type.String(),
  page: Type.Integer(),
  imageName: Type.String(),
  verdict: Nullable(Type.String({ description: 'right 合格 / wrong 不合格' })),
  reason: Nullable(Type.String()),
  reviewer: Nullable(Type.String()),
  reviewedAt: Nullable(Type.String({ format: 'date-time' })),
});
const RoundSchema = Type.Object({
  round: Type.Integer(),
  sampleRate: Type.Number(),
  maxErrorRate: Type.Number(),
  pages: Type.Integer(),
  sampled: Type.Integer(),
  reviewed: Type.Integer(),
  drawnBy: Type.String(),
  drawnAt: Type.String({ format: 'date-time' }),
  wrong: Nullable(Type.Integer()),
  decision: Nullable(Type.String({ description: 'accepted 合格 / returned 退回' })),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
  samples: Type.Array(SampleSchema),
});
const ReportSchema = Type.Object({ batch: BatchSchema, rounds: Type.Array(RoundSchema) });
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());
const batchOut = (batch: BatchRow & { pages?: number; ocrDone?: number; flagged?: number }) => ({
  pages: 0,
  ocrDone: 0,
  flagged: 0,
  ...batch,
  createdAt: new Date(batch.createdAt).toISOString(),
});
const reportOut = (report: QcReport) => ({
  batch: batchOut(report.batch),
  rounds: report.rounds.map((round) => ({
    ...round,
    drawnAt: new Date(round.drawnAt).toISOString(),
    decidedAt: iso(round.decidedAt),
    samples: round.samples.map((sample) => ({ ...sample, reviewedAt: iso(sample.reviewedAt) })),
  })),
});

export const qcRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/scan-batches',
    {
      config: { permission: 'file.read' },
      schema: {
        tags,
        summary: '数字化批次：页数、OCR 完成数、待重扫数与质检状态',
        response: { 200: Type.Object({ batches: Type.Array(BatchSchema) }), ...errors },
      },
    },
    async (request) => ({ batches: (await batchViews(db, await accessOf(request, db))).map(batchOut) }),
  );

  app.post(
    '/scan-batches',
    {
      config: { permission: 'file.add' },
      schema: {
        tags,
        summary: '新建数字化批次（默认抽检 5%，合格差错率上限 0.5%）',
        body: Type.Object(
          {
            fondsCode: Type.String({ maxLength: 4 }),
            name: Type.String({ maxLength: 100 }),
            sampleRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
            maxErrorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: BatchSchema, ...errors },
      },
    },
    async (request, reply) => {
      const batch = await createBatch(db, request.body, requestActor(request), await accessOf(request, db));
      return reply.status(201).send(batchOut(batch));
    },
  );

  app.get(
    '/scan-batches/:id/qc',
    {
      config: { permission: 'scan.qc' },
      schema: {
        tags,
        summary: '批次的质检记录：各轮抽样、逐页结论与判定',
        params: IdParams,
        response: { 200: ReportSchema, ...errors },
      },
    },
    async (request) => reportOut(await qcReport(db, request.params.id, await accessOf(request, db))),
  );

  app.post(
    '/scan-batches/:id/qc/rounds',
    {
      config: { permission: 'scan.qc' },
      schema: {
        tags,
        summary: '抽样：随机抽取本批次的页（默认按批次的抽检比例）开始一轮质检',
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            { sampleRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 201: ReportSchema, ...errors },
      },
    },
    async (request, reply) => {
      const report = await drawSample(db, request.params.id, requestActor(request), {
        sampleRate: request.body?.sampleRate,
        access: await accessOf(request, db),
      });
      return reply.status(201).send(reportOut(report));
    },
  );

  app.put(
    '/scan-batches/:id/qc/pages',
    {
      config: { permission: 'scan.qc' },
      schema: {
        tags,
        summary: '对抽中的一页给出质检结论；不合格须写原因',
        params: IdParams,
        body: Type.Object(
          {
            archiveCode: Type.String({ maxLength: 200 }),
            page: Type.Integer({ minimum: 1 }),
            verdict: Type.Union([Type.Literal('right'), Type.Literal('wrong')]),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { archiveCode, page, ...verdict } = request.body;
      await reviewPage(
        db,
        request.params.id,
        { archiveCode, page },
        verdict,
        requestActor(request),
        await accessOf(request, db),
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/scan-batches/:id/qc/decision',
    {
      config: { permission: 'scan.qc' },
      schema: {
        tags,
        summary: '判定本轮：差错率不超过上限则验收合格，否则退回返工',
        params: IdParams,
        response: { 200: ReportSchema, ...errors },
      },
    },
    async (request) =>
      reportOut(await decideBatch(db, request.params.id, requestActor(request), await accessOf(request, db))),
  );
};
