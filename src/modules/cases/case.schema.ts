import { type TSchema, Type } from '@sinclair/typebox';

// The shapes of /api/v1/cases (核查案件), documented in the OpenAPI; the service checks the content
// and answers each problem in Chinese (bodies are handed through as given).

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Type.String({ description: '北京时间（ISO 8601，+08:00）' });
const State = Type.Union(
  [Type.Literal('open'), Type.Literal('examining'), Type.Literal('concluded'), Type.Literal('closed')],
  { description: 'open 立案；examining 核查中；concluded 已结论；closed 已结案' },
);
const Conclusion = Type.Union([Type.Literal('violation'), Type.Literal('no_violation')], {
  description: 'violation 违规；no_violation 不违规',
});

export const CaseCodeParams = Type.Object({
  code: Type.String({ maxLength: 24, description: '案件编号，如 HC20260001' }),
});

export const CaseOpenSchema = Type.Object({
  title: Type.String({ maxLength: 200, description: '案件名称' }),
  fonds: Type.String({ maxLength: 4, description: '全宗号（冻结与核查档案归入的全宗）' }),
  region: Type.Optional(
    Type.String({ maxLength: 6, description: '地区（6 位行政区划代码）；由线索立案时取线索的地区' }),
  ),
  reason: Type.Optional(
    Type.String({ maxLength: 500, description: '立案依据；人工立案必填（如举报内容，至少4个字）' }),
  ),
  clues: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 200, description: '线索编号' })),
  items: Type.Optional(
    Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200, description: '证据档案的档号' }),
  ),
  assignee: Type.Optional(Type.String({ maxLength: 64, description: '承办人（账户名）' })),
});

export const CaseAttachSchema = Type.Object({
  items: Type.Optional(
    Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200, description: '证据档案的档号' }),
  ),
  clues: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 200, description: '线索编号' })),
});

export const CaseConcludeSchema = Type.Object({
  conclusion: Type.String({ maxLength: 20, description: 'violation 违规；no_violation 不违规' }),
  amount: Type.Optional(
    Type.Union([Type.String({ maxLength: 20 }), Type.Number()], {
      description: '追回金额（元，违规时必填，至少 0.01，最多两位小数）',
    }),
  ),
  reason: Type.Optional(
    Type.String({
      maxLength: 500,
      description: '结论说明；不违规时必填；追回金额超过线索所涉金额时须写明理由',
    }),
  ),
});

export const CaseSchema = Type.Object({
  code: Type.String({ description: '案件编号' }),
  title: Type.String(),
  source: Type.Union([Type.Literal('clue'), Type.Literal('manual')]),
  sourceName: Type.String(),
  sourceReason: Nullable(Type.String()),
  fonds: Type.String(),
  region: Type.String(),
  regionName: Nullable(Type.String()),
  state: State,
  stateName: Type.String(),
  assignee: Nullable(Type.String()),
  openedBy: Type.String(),
  openedAt: Time,
  conclusion: Nullable(Conclusion),
  conclusionName: Nullable(Type.String()),
  recoverAmount: Nullable(Type.String({ description: '追回金额（元）' })),
  conclusionReason: Nullable(Type.String()),
  concludedBy: Nullable(Type.String()),
  concludedAt: Nullable(Time),
  closedBy: Nullable(Type.String()),
  closedAt: Nullable(Time),
  filedCode: Nullable(Type.String({ description: '核查档案的档号（结案时归档）' })),
  clueCount: Type.Integer(),
  clueAmount: Nullable(Type.String({ description: '线索所涉金额合计（元）' })),
  evidenceCount: Type.Integer(),
});

export const CaseDetailSchema = Type.Composite([
  CaseSchema,
  Type.Object({
    fondsName: Type.String(),
    notes: Type.Array(
      Type.Object({ id: Type.Integer(), author: Type.String(), at: Time, text: Type.String() }),
    ),
    evidence: Type.Array(
      Type.Object({
        archiveCode: Nullable(Type.String({ description: '档号；不在您档案范围内的为 null' })),
        via: Type.Union([Type.Literal('clue'), Type.Literal('manual')]),
        addedBy: Type.String(),
        addedAt: Time,
        title: Nullable(Type.String({ description: '题名（脱敏）；敏感档案未获授权时为 null' })),
        category: Nullable(Type.String()),
        year: Nullable(Type.Integer()),
        sensitivity: Nullable(Type.String()),
        withheld: Type.Boolean(),
      }),
    ),
    clues: Type.Array(
      Type.Object({
        id: Type.Integer(),
        rule: Type.String(),
        ruleName: Type.String(),
        ruleVersion: Type.Integer(),
        amount: Type.String(),
      }),
    ),
    holds: Type.Array(Type.Object({ code: Type.String(), fonds: Type.String(), lifted: Type.Boolean() })),
    steps: Type.Array(
      Type.Object({ action: Type.String(), label: Type.String(), actor: Type.String(), at: Time }),
    ),
  }),
]);

export const CaseListQuery = Type.Object({
  state: Type.Optional(State),
  assignee: Type.Optional(Type.String({ maxLength: 64 })),
  fonds: Type.Optional(Type.String({ maxLength: 4 })),
  region: Type.Optional(Type.String({ maxLength: 6, description: '地区代码或其前缀' })),
  year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2200, description: '立案年度' })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: '上一页返回的 nextBefore' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});

export const CaseListSchema = Type.Object({
  cases: Type.Array(CaseSchema),
  nextBefore: Nullable(Type.Integer()),
});
