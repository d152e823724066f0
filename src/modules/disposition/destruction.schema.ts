import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The destruction register as the API shows it (destruction.view.ts builds it).

const Signature = Type.Object({
  role: Type.Union([Type.Literal('lead'), Type.Literal('approver'), Type.Literal('witness')]),
  roleLabel: Type.String(),
  user: Type.String(),
  at: Type.String({ format: 'date-time' }),
});

const Row = Type.Object({
  seq: Type.Integer({ description: '序号' }),
  archiveCode: Type.String({ description: '档号' }),
  title: Type.String({ description: '题名（脱敏，即清册所列）' }),
  year: Type.Integer({ description: '年度' }),
  retention: Type.String(),
  retentionLabel: Type.String({ description: '保管期限' }),
  keepYears: Nullable(Type.Integer({ description: '应保管年限' })),
  keptYears: Type.Integer({ description: '已保管年限' }),
  pages: Type.Integer({ description: '页数' }),
  files: Type.Integer({ description: '文件数' }),
  carrier: Type.String(),
  reason: Type.String({ description: '销毁原因' }),
  note: Nullable(Type.String({ description: '备注' })),
  state: Type.String(),
  stateLabel: Type.String(),
  refusal: Nullable(Type.String({ description: '执行时拒绝销毁的原因（档案保持原状）' })),
  paperLocation: Nullable(Type.String({ description: '纸质原件存放位置（销毁前）' })),
  destroyedAt: Nullable(Type.String({ format: 'date-time' })),
  paper: Nullable(
    Type.Object({
      method: Type.String(),
      place: Type.String(),
      at: Type.String(),
      witnesses: Type.Array(Type.String()),
      confirmedBy: Type.String(),
    }),
  ),
});

export const RegisterSchema = Type.Object(
  {
    code: Type.String({ description: '销毁清册编号 XH-全宗-年度-序号' }),
    fonds: Type.String({ description: '全宗号' }),
    year: Type.Integer(),
    round: Type.String({ description: '鉴定批次' }),
    state: Type.String(),
    stateLabel: Type.String(),
    count: Type.Integer({ description: '销毁档案数量' }),
    drawnBy: Type.String(),
    drawnAt: Type.String({ format: 'date-time' }),
    approvedBy: Nullable(Type.String()),
    approvedAt: Nullable(Type.String({ format: 'date-time' })),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    carriedAt: Nullable(Type.String({ format: 'date-time' })),
    filed: Nullable(
      Type.Object({
        archiveCode: Type.String(),
        digest: Nullable(Type.String()),
        at: Nullable(Type.String()),
      }),
    ),
    signatures: Type.Array(Signature),
    progress: Type.Object({
      destroyed: Type.Integer(),
      waitingReplicas: Type.Integer(),
      paperPending: Type.Integer(),
      refused: Type.Integer(),
      total: Type.Integer(),
    }),
    withdrawn: Nullable(
      Type.Object({ by: Type.String(), at: Nullable(Type.String()), reason: Nullable(Type.String()) }),
    ),
    olderBackups: Type.Array(
      Type.Object({
        dir: Type.String({ description: '备份目录' }),
        at: Type.String({ format: 'date-time', description: '备份时间' }),
        treeSize: Type.Integer({ description: '备份时事件日志的条数' }),
      }),
      {
        description:
          '须同时销毁或到期的备份：执行销毁完成前所做的备份仍含所销毁档案及其密钥（最新的在前，最多 50 份）',
      },
    ),
    rows: Type.Array(Row),
  },
  { description: '销毁清册' },
);

export const RegisterBriefSchema = Type.Object({
  code: Type.String(),
  fonds: Type.String(),
  round: Type.String(),
  state: Type.String(),
  stateLabel: Type.String(),
  count: Type.Integer(),
  drawnBy: Type.String(),
  drawnAt: Type.String({ format: 'date-time' }),
  approvedBy: Nullable(Type.String()),
  filed: Nullable(Type.String()),
});

export const DrawSchema = Type.Object(
  {
    round: Type.String({ maxLength: 40, description: '鉴定批次编号 JD-…' }),
    items: Type.Optional(
      Type.Array(Type.String({ maxLength: 200 }), {
        maxItems: 10000,
        description: '只列这些档号（默认：批次中决定销毁的全部）',
      }),
    ),
    notes: Type.Optional(
      Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 200 }), {
        description: '备注：档号 → 文字',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DrawResultSchema = Type.Object({
  code: Type.String(),
  items: Type.Integer({ description: '列入清册的件数' }),
  refused: Type.Array(
    Type.Object({
      archiveCode: Type.String(),
      reason: Type.String({ description: '拒绝原因代码（见词汇表 REFUSAL_REASONS）' }),
      message: Type.String(),
    }),
  ),
});

export const PaperSchema = Type.Object(
  {
    archiveCode: Type.String({ maxLength: 200 }),
    method: Type.String({ maxLength: 20, description: '销毁方式：粉碎、化浆或焚烧' }),
    place: Type.String({ maxLength: 100, description: '销毁地点' }),
    at: Type.String({ maxLength: 40, description: '销毁时间（ISO 8601）' }),
    witnesses: Type.Array(Type.String({ maxLength: 100 }), {
      maxItems: 10,
      description: '在场监销人（清册已签字的监销人）',
    }),
  },
  { additionalProperties: false },
);
