import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses, Nullable } from '../../http/schemas.js';
import type { BlobStore } from '../storage/blob-store.js';
import { endLoan, handOver, openApproved, renewLoan, returnLoan } from './lending.desk.js';
import { loanFiles, readUnderLoan } from './lending.read.js';
import { requestLoan } from './lending.request.js';
import { LoanRequestSchema, LoanRuleInputSchema, LoanRuleSchema, LoanSchema } from './lending.schema.js';
import { approveLoan, rejectLoan, withdrawLoan } from './lending.service.js';
import { listLoanViews, loanView, paperLoanOf } from './lending.view.js';
import { listLoanRules, removeLoanRule, setLoanRule } from './rules.service.js';

// 借阅: /api/v1/loans (申请、审批、出库、续借、归还、完结, reading under an electronic loan) and
// /api/v1/loan-rules (借阅规则). Every route calls a service with the caller's principal.

const tags = ['借阅'];
const errors = errorResponses(400, 401, 403, 404, 409);
const LoanParams = Type.Object({ loanNo: Type.String({ maxLength: 20, description: '借阅单号' }) });
const STATES = ['requested', 'approved', 'rejected', 'withdrawn', 'on_loan', 'closed'] as const;

function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export const lendingRoutes: FastifyPluginAsyncTypebox<{ db: Db; store?: BlobStore }> = async (
  app,
  { db, store },
) => {
  app.post(
    '/loans',
    {
      config: { permission: 'loan.request' },
      schema: {
        tags,
        summary: '借阅申请：档号、借阅方式、目的、借阅人与天数（按借阅规则审批）',
        body: LoanRequestSchema,
        response: { 201: LoanSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await requestLoan(db, principalOf(request), request.body)),
  );

  app.get(
    '/loans',
    {
      config: { permission: 'loan.request' },
      schema: {
        tags,
        summary: '借阅单：我的借阅、待我审批、出库与归还（档案员）或全部（档案员），新的在前',
        querystring: Type.Object({
          view: Type.Optional(
            Type.Union(
              [Type.Literal('mine'), Type.Literal('approvals'), Type.Literal('desk'), Type.Literal('all')],
              {
                default: 'mine',
              },
            ),
          ),
          state: Type.Optional(Type.Union(STATES.map((state) => Type.Literal(state)))),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '上一页返回的 nextBefore' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({ loans: Type.Array(LoanSchema), nextBefore: Nullable(Type.Integer()) }),
          ...errors,
        },
      },
    },
    async (request) =>
      listLoanViews(db, principalOf(request), {
        view: request.query.view ?? 'mine',
        ...(request.query.state ? { states: [request.query.state] } : {}),
        ...(request.query.before ? { beforeId: request.query.before } : {}),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      }),
  );

  app.get(
    '/loans/held',
    {
      config: { permission: ['loan.request', 'loan.handle'] },
      schema: {
        tags,
        summary: '档案纸质原件是否借出：借阅单号、借给谁、应还日（未借出为 null）',
        querystring: Type.Object({ item: Type.String({ maxLength: 200, description: '档号' }) }),
        response: {
          200: Type.Object({
            loan: Nullable(
              Type.Object({
                loanNo: Type.String(),
                borrower: Type.String(),
                dueOn: Nullable(Type.String({ format: 'date' })),
                handedOverAt: Nullable(Type.String({ format: 'date-time' })),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({ loan: await paperLoanOf(db, principalOf(request), request.query.item) }),
  );

  app.get(
    '/loans/:loanNo',
    {
      schema: { tags, summary: '一张借阅单', params: LoanParams, response: { 200: LoanSchema, ...errors } },
    },
    async (request) => loanView(db, principalOf(request), request.params.loanNo),
  );

  app.post(
    '/loans/:loanNo/approve',
    {
      config: { permission: 'loan.approve' },
      schema: {
        tags,
        summary: '批准借阅（本级审批；可缩短天数；电子借阅在最后一级批准后即开通）',
        params: LoanParams,
        body: Type.Optional(Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) })),
        response: { 200: LoanSchema, ...errors },
      },
    },
    async (request) => approveLoan(db, principalOf(request), request.params.loanNo, request.body ?? {}),
  );

  app.post(
    '/loans/:loanNo/reject',
    {
      config: { permission: 'loan.approve' },
      schema: {
        tags,
        summary: '驳回借阅（须说明理由）',
        params: LoanParams,
        body: Type.Object({ reason: Type.String({ maxLength: 200 }) }),
        response: { 200: LoanSchema, ...errors },
      },
    },
    async (request) => rejectLoan(db, principalOf(request), request.params.loanNo, request.body),
  );

  const simple = [
    ['withdraw', '撤回借阅申请（申请人或借阅人，出库或开通前）', withdrawLoan],
    ['open', '开通已批准的电子借阅或复制（取得敏感档案的查阅授权后）', openApproved],
    ['end', '完结电子借阅或复制', endLoan],
  ] as const;
  for (const [verb, summary, step] of simple)
    app.post(
      `/loans/:loanNo/${verb}`,
      {
        config: { permission: 'loan.request' },
        schema: { tags, summary, params: LoanParams, response: { 200: LoanSchema, ...errors } },
      },
      async (request) => step(db, principalOf(request), request.params.loanNo),
    );

  app.post(
    '/loans/:loanNo/hand-over',
    {
      config: { permission: 'loan.handle' },
      schema: {
        tags,
        summary: '出库：档案员确认纸质档案交给借阅人（可登记每件页数），应还日自今日起算',
        params: LoanParams,
        body: Type.Optional(
          Type.Object({
            pages: Type.Optional(
              Type.Record(Type.String({ maxLength: 200 }), Type.Integer({ minimum: 0, maximum: 100_000 }), {
                description: '档号 → 出库页数',
              }),
            ),
          }),
        ),
        response: { 200: LoanSchema, ...errors },
      },
    },
    async (request) => handOver(db, principalOf(request), request.params.loanNo, request.body ?? {}),
  );

  app.post(
    '/loans/:loanNo/renew',
    {
      config: { permission: ['loan.request', 'loan.handle'] },
      schema: {
        tags,
        summary: '续借（到期前，按规则的次数与天数）',
        params: LoanParams,
        body: Type.Optional(Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) })),
        response: { 200: LoanSchema, ...errors },
      },
    },
    async (request) => renewLoan(db, principalOf(request), request.params.loanNo, request.body ?? {}),
  );

  app.post(
    '/loans/:loanNo/return',
    {
      config: { permission: 'loan.handle' },
      schema: {
        tags,
        summary: '归还：档案员核对页数与状况（破损、缺页须写明），全部归还后借阅完结',
        params: LoanParams,
        body: Type.Object({
          items: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
          pages: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100_000 }))),
          condition: Type.Union(
            [Type.Literal('intact'), Type.Literal('damaged'), Type.Literal('pages_missing')],
            {
              description: 'intact 完好、damaged 破损、pages_missing 缺页',
            },
          ),
          damage: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
        }),
        response: { 200: LoanSchema, ...errors },
      },
    },
    async (request) => returnLoan(db, principalOf(request), request.params.loanNo, request.body),
  );

  const ItemParams = Type.Object({
    loanNo: Type.String({ maxLength: 20 }),
    archiveCode: Type.String({ maxLength: 200 }),
  });
  app.get(
    '/loans/:loanNo/items/:archiveCode/files',
    {
      config: { permission: 'loan.request' },
      schema: {
        tags,
        summary: '电子借阅中一件档案的电子文件（借阅人本人，到期前）',
        params: ItemParams,
        response: {
          200: Type.Object({
            files: Type.Array(
              Type.Object({
                fileNumber: Type.Integer(),
                fileName: Type.String(),
                mediaType: Type.String(),
                size: Type.Integer(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({
      files: (
        await loanFiles(db, principalOf(request), request.params.loanNo, request.params.archiveCode)
      ).map(({ fileNumber, fileName, mediaType, size }) => ({ fileNumber, fileName, mediaType, size })),
    }),
  );

  if (store)
    app.get(
      '/loans/:loanNo/items/:archiveCode/files/:fileNumber',
      {
        config: { permission: 'loan.request' },
        schema: {
          tags,
          summary:
            '在电子借阅下阅览或复制文件：每次核对借阅是否有效（到期即止），加盖含借阅单号的水印并记入日志',
          params: Type.Object({
            loanNo: Type.String({ maxLength: 20 }),
            archiveCode: Type.String({ maxLength: 200 }),
            fileNumber: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          }),
          response: errorResponses(400, 401, 403, 404, 409, 413, 422),
        },
      },
      async (request, reply) => {
        const copy = await readUnderLoan(db, store, principalOf(request), request.params);
        reply
          .header('content-type', copy.mediaType)
          .header('content-disposition', contentDisposition(copy.fileName))
          .header('x-yidang-digest', copy.file.digest)
          .header('x-yidang-trace', copy.traceId)
          .header('x-yidang-loan', copy.loanNo)
          .header('x-yidang-watermark', copy.watermarked ? 'visible' : 'none')
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "sandbox; default-src 'none'");
        if (!copy.watermarked) reply.header('content-length', copy.file.size);
        return reply.send(copy.body);
      },
    );

  app.get(
    '/loan-rules',
    {
      config: { permission: 'loan.request' },
      schema: {
        tags,
        summary: '借阅规则（按类别、敏感级别、保管期限：审批级数与审批角色、最长天数、续借、纸质可否出库）',
        response: { 200: Type.Object({ rules: Type.Array(LoanRuleSchema) }), ...errors },
      },
    },
    async (request) => ({ rules: await listLoanRules(db, principalOf(request)) }),
  );

  app.put(
    '/loan-rules',
    {
      config: { permission: 'loan.rules' },
      schema: {
        tags,
        summary: '设置借阅规则（同一条件的规则被替换）',
        body: LoanRuleInputSchema,
        response: { 200: LoanRuleSchema, ...errors },
      },
    },
    async (request) => setLoanRule(db, principalOf(request), request.body),
  );

  app.delete(
    '/loan-rules/:id',
    {
      config: { permission: 'loan.rules' },
      schema: {
        tags,
        summary: '删除借阅规则（默认规则不能删除）',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await removeLoanRule(db, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
