import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { archivesOfClue, dismissClue, listClues, readClue } from './clue.service.js';
import { listRules, setRule, showRule } from './rule.service.js';
import { listRuns, showRun, startRun } from './run.service.js';

// 智能审核规则与线索: the rules with their settings, runs (a job each) and their clues. Everything
// within the caller's regions (a run or clue of another region is 404); the person is shown as the
// first characters of the blind index, diagnoses as ICD-10 codes only.

const tags = ['智能审核'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  409: ErrorResponseSchema,
};
const READ = { permission: 'fund.read' } as const;
const RULES = { permission: 'fund.rules' } as const;
const WORK = { permission: 'case.work' } as const;

const ParamValue = Type.Union([Type.Number(), Type.Array(Type.String())]);
const RuleSchema = Type.Object({
  code: Type.String({ description: '规则代码' }),
  name: Type.String({ description: '规则名称' }),
  description: Type.String({ description: '规则逻辑说明' }),
  revision: Type.Integer({ description: '逻辑修订号（规则语句改动时加一）' }),
  version: Type.Integer({ description: '设置版本（每次修改参数或启用状态加一）' }),
  active: Type.Boolean({ description: '是否启用' }),
  params: Type.Array(
    Type.Object({
      name: Type.String(),
      label: Type.String({ description: '参数名称' }),
      kind: Type.String({ description: 'integer 整数 / number 数值 / icdList ICD-10 前缀列表' }),
      min: Nullable(Type.Number()),
      max: Nullable(Type.Number()),
      minItems: Nullable(Type.Integer()),
      maxItems: Nullable(Type.Integer()),
      default: ParamValue,
      value: ParamValue,
    }),
  ),
  changedBy: Type.String(),
  changedAt: Type.String({ format: 'date-time' }),
  reason: Type.String({ description: '最近一次修改的理由' }),
});

const RunSchema = Type.Object({
  id: Type.Integer(),
  region: Type.String({ description: '地区（行政区划代码前缀；空为全部地区）' }),
  from: Type.String({ description: '结算日期起' }),
  to: Type.String({ description: '结算日期止' }),
  state: Type.String({ description: 'queued 排队 / running 运行中 / finished 完成 / failed 失败' }),
  rules: Type.Array(
    Type.Object({
      code: Type.String(),
      name: Type.String(),
      version: Type.Integer(),
      revision: Type.Integer(),
      params: Type.Record(Type.String(), ParamValue),
      hits: Nullable(Type.Integer({ description: '线索数；尚未运行为 null' })),
      ms: Nullable(Type.Integer({ description: '用时（毫秒）' })),
    }),
  ),
  clues: Type.Integer(),
  done: Type.Integer({ description: '已运行的规则数' }),
  jobId: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  startedBy: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

const ClueSchema = Type.Object({
  id: Type.Integer(),
  runId: Type.Integer(),
  rule: Type.String(),
  ruleName: Type.String(),
  ruleVersion: Type.Integer(),
  params: Type.Record(Type.String(), ParamValue),
  serials: Type.Array(Type.String(), { description: '结算流水号' }),
  settlementIds: Type.Array(Type.Integer()),
  person: Nullable(Type.String({ description: '参保人（索引前 8 位，不显示身份证号）' })),
  institutionCode: Nullable(Type.String()),
  region: Type.String(),
  amount: Type.String({ description: '疑点金额（元）' }),
  evidence: Type.Unknown({ description: '证据：说明、结算表头、涉及的明细' }),
  fingerprint: Type.String({ description: '指纹：相同数据与规则版本得出相同指纹' }),
  state: Type.String({ description: 'open 待处理 / in_case 已立案 / dismissed 已排除' }),
  caseCode: Nullable(Type.String()),
  dismissReason: Nullable(Type.String()),
  changedBy: Nullable(Type.String()),
  changedAt: Nullable(Type.String({ format: 'date-time' })),
});

const ArchiveSchema = Type.Object({
  serial: Type.String(),
  archiveCode: Type.String(),
  fonds: Type.String(),
  category: Type.String(),
  categoryName: Type.String(),
  year: Type.Integer(),
  title: Type.String({ description: '题名（已脱敏）' }),
  withheld: Type.Boolean({ description: '敏感档案未获授权：只列档号' }),
});

const CodeParam = Type.Object({ code: Type.String({ maxLength: 40, description: '规则代码' }) });
const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, description: '编号' }) });

export const ruleRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/fund/rules',
    {
      config: READ,
      schema: {
        tags,
        summary: '智能审核规则：说明、参数与设置版本',
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }), ...errors },
      },
    },
    async (request) => ({ rules: await listRules(db, await accessOf(request, db)) }),
  );

  app.get(
    '/fund/rules/:code',
    {
      config: READ,
      schema: { tags, summary: '一条审核规则', params: CodeParam, response: { 200: RuleSchema, ...errors } },
    },
    async (request) => showRule(db, await accessOf(request, db), request.params.code),
  );

  app.put(
    '/fund/rules/:code',
    {
      config: RULES,
      schema: {
        tags,
        summary: '修改审核规则的启用状态或参数（须写理由；版本加一）',
        params: CodeParam,
        body: Type.Object({
          active: Type.Optional(Type.Boolean()),
          params: Type.Optional(
            Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 20 }),
          ),
          reason: Type.String({ maxLength: 500, description: '理由（至少 4 个字）' }),
          version: Type.Optional(
            Type.Integer({ minimum: 1, description: '修改所依据的版本；已被他人修改则拒绝' }),
          ),
        }),
        response: { 200: RuleSchema, ...errors },
      },
    },
    async (request) => setRule(db, await accessOf(request, db), request.params.code, request.body),
  );

  app.post(
    '/fund/runs',
    {
      config: RULES,
      schema: {
        tags,
        summary: '运行智能审核（后台任务）：某地区、某结算期间，启用的规则或指定的规则',
        body: Type.Object({
          region: Type.Optional(
            Type.String({ maxLength: 6, description: '行政区划代码或前缀；不填为您唯一的地区' }),
          ),
          from: Type.String({ maxLength: 10, description: '结算日期起 YYYY-MM-DD' }),
          to: Type.String({ maxLength: 10, description: '结算日期止 YYYY-MM-DD' }),
          rules: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20 })),
        }),
        response: { 200: RunSchema, ...errors },
      },
    },
    async (request) => startRun(db, await accessOf(request, db), request.body, { background: true }),
  );

  app.get(
    '/fund/runs',
    {
      config: READ,
      schema: {
        tags,
        summary: '审核运行（最新的在前）',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: '此编号之前的运行' })),
        }),
        response: { 200: Type.Object({ runs: Type.Array(RunSchema) }), ...errors },
      },
    },
    async (request) => ({ runs: await listRuns(db, await accessOf(request, db), request.query) }),
  );

  app.get(
    '/fund/runs/:id',
    {
      config: READ,
      schema: {
        tags,
        summary: '一次审核运行及各规则的进度',
        params: IdParam,
        response: { 200: RunSchema, ...errors },
      },
    },
    async (request) => showRun(db, await accessOf(request, db), request.params.id),
  );

  app.get(
    '/fund/clues',
    {
      config: READ,
      schema: {
        tags,
        summary: '审核线索（按编号翻页）',
        querystring: Type.Object({
          run: Type.Optional(Type.Integer({ minimum: 1, description: '审核运行编号' })),
          rule: Type.Optional(Type.String({ maxLength: 40, description: '规则代码' })),
          state: Type.Optional(Type.String({ maxLength: 10, description: 'open / in_case / dismissed' })),
          institution: Type.Optional(Type.String({ maxLength: 32, description: '医疗机构编码' })),
          case: Type.Optional(Type.String({ maxLength: 64, description: '案件编号' })),
          cursor: Type.Optional(Type.String({ maxLength: 20, description: '上一页返回的 next' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: {
          200: Type.Object({ clues: Type.Array(ClueSchema), next: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { run, rule, state, institution, case: caseCode, cursor, limit } = request.query;
      return listClues(db, await accessOf(request, db), {
        ...(run !== undefined ? { runId: run } : {}),
        ...(rule !== undefined ? { rule } : {}),
        ...(state !== undefined ? { state: state as never } : {}),
        ...(institution !== undefined ? { institution } : {}),
        ...(caseCode !== undefined ? { caseCode } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );

  app.get(
    '/fund/clues/:id',
    {
      config: READ,
      schema: {
        tags,
        summary: '一条审核线索：证据及其结算对应的档案（已脱敏，敏感档案须经授权）',
        params: IdParam,
        response: {
          200: Type.Composite([ClueSchema, Type.Object({ archives: Type.Array(ArchiveSchema) })]),
          ...errors,
        },
      },
    },
    async (request) => {
      const access = await accessOf(request, db);
      const clue = await readClue(db, access, request.params.id);
      return { ...clue, archives: await archivesOfClue(db, access, clue.id) };
    },
  );

  app.post(
    '/fund/clues/:id/dismiss',
    {
      config: WORK,
      schema: {
        tags,
        summary: '排除线索（须写理由）',
        params: IdParam,
        body: Type.Object({ reason: Type.String({ maxLength: 500, description: '理由（至少 4 个字）' }) }),
        response: { 200: ClueSchema, ...errors },
      },
    },
    async (request) => dismissClue(db, await accessOf(request, db), request.params.id, request.body.reason),
  );
};
