import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { BlobStore } from '../storage/blob-store.js';
import { closeCase, concludeCase } from './case.close.js';
import {
  CaseAttachSchema,
  CaseCodeParams,
  CaseConcludeSchema,
  CaseDetailSchema,
  CaseListQuery,
  CaseListSchema,
  CaseOpenSchema,
} from './case.schema.js';
import { assignCase, attachToCase, noteCase, openCase } from './case.service.js';
import { caseDetail, listCases } from './case.view.js';

// 核查案件: /api/v1/cases — list (filters), one (steps, evidence, notes, conclusion), open, assign,
// note, attach (档号 or 线索), conclude, close (files the case file). Reading needs fund.read, each
// step case.work; the region scope is the service's (a case outside it is not found).

const tags = ['核查案件'];
const errors = errorResponses(400, 401, 403, 404, 409);

export const caseRoutes: FastifyPluginAsyncTypebox<{ db: Db; store: BlobStore }> = async (
  app,
  { db, store },
) => {
  const detail = async (request: Parameters<typeof accessOf>[0], code: string) =>
    caseDetail(db, await accessOf(request, db), code);

  app.get(
    '/cases',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary: '核查案件列表（您范围内的地区），新的在前',
        querystring: CaseListQuery,
        response: { 200: CaseListSchema, ...errors },
      },
    },
    async (request) => listCases(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/cases/:code',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary: '一个核查案件：办理过程、证据档案（脱敏；敏感档案未获授权只列档号）、核查记录与结论',
        params: CaseCodeParams,
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => detail(request, request.params.code),
  );

  app.post(
    '/cases',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '立案：由线索立案，或人工立案（须说明立案依据）；冻结线索与证据涉及的档案',
        body: CaseOpenSchema,
        response: { 201: CaseDetailSchema, ...errors },
      },
    },
    async (request, reply) => {
      const access = await accessOf(request, db);
      const code = await openCase(db, access, request.body);
      return reply.status(201).send(await caseDetail(db, access, code));
    },
  );

  app.post(
    '/cases/:code/assign',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '指派承办人（有核查案件权限、范围包含案件地区的账户）',
        params: CaseCodeParams,
        body: Type.Object({ assignee: Type.String({ maxLength: 64 }) }),
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => {
      await assignCase(db, await accessOf(request, db), request.params.code, request.body.assignee);
      return detail(request, request.params.code);
    },
  );

  app.post(
    '/cases/:code/notes',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '记录核查情况（不得含身份证号）；第一条记录使案件进入核查中',
        params: CaseCodeParams,
        body: Type.Object({ text: Type.String({ maxLength: 4000 }) }),
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => {
      await noteCase(db, await accessOf(request, db), request.params.code, request.body.text);
      return detail(request, request.params.code);
    },
  );

  app.post(
    '/cases/:code/attach',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '附入证据档案（档号）或并入线索；新附入的档案随即冻结',
        params: CaseCodeParams,
        body: CaseAttachSchema,
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => {
      await attachToCase(db, await accessOf(request, db), request.params.code, request.body);
      return detail(request, request.params.code);
    },
  );

  app.post(
    '/cases/:code/conclude',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '作出结论：违规（追回金额）或不违规（理由）',
        params: CaseCodeParams,
        body: CaseConcludeSchema,
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => {
      await concludeCase(db, await accessOf(request, db), request.params.code, request.body);
      return detail(request, request.params.code);
    },
  );

  app.post(
    '/cases/:code/close',
    {
      config: { permission: 'case.work' },
      schema: {
        tags,
        summary: '结案：核查档案归档（稽核类，敏感），解除本案冻结；不违规的案件释放其线索',
        params: CaseCodeParams,
        response: { 200: CaseDetailSchema, ...errors },
      },
    },
    async (request) => {
      const access = await accessOf(request, db);
      await closeCase({ db, store, access }, request.params.code);
      return detail(request, request.params.code);
    },
  );
};
