import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// Transfer batches as the API shows them (transfer.view.ts builds them).

const Counts = Type.Object({
  included: Type.Integer({ description: '列入移交' }),
  refused: Type.Integer({ description: '不能移交' }),
  accepted: Type.Integer({ description: '已移交' }),
  rejected: Type.Integer({ description: '接收方拒收' }),
});

export const BatchBriefSchema = Type.Object({
  code: Type.String({ description: '移交批次编号 YJ-<全宗号>-<年>-<n>' }),
  fonds: Type.String(),
  kind: Type.Union([Type.Literal('fonds'), Type.Literal('person')]),
  kindLabel: Type.String(),
  receiver: Type.String({ description: '接收单位' }),
  state: Type.Union([
    Type.Literal('drawn'),
    Type.Literal('exported'),
    Type.Literal('accepted'),
    Type.Literal('withdrawn'),
  ]),
  stateLabel: Type.String(),
  drawnBy: Type.String(),
  drawnAt: Type.String({ format: 'date-time' }),
  counts: Counts,
});

const Check = Nullable(
  Type.Record(
    Type.String(),
    Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('skipped')]),
    {
      description: '最近一次四性检测各项结果（authenticity/integrity/usability/security）',
    },
  ),
);

const BatchItemSchema = Type.Object({
  seq: Type.Integer({ description: '序号' }),
  archiveCode: Type.String({ description: '档号' }),
  title: Type.String({ description: '题名（脱敏）' }),
  year: Type.Integer(),
  retention: Type.String(),
  category: Type.String(),
  files: Type.Integer({ description: '文件数' }),
  bytes: Type.Integer({ description: '文件大小合计（字节）' }),
  state: Type.Union([
    Type.Literal('included'),
    Type.Literal('refused'),
    Type.Literal('accepted'),
    Type.Literal('rejected'),
  ]),
  stateLabel: Type.String(),
  reason: Nullable(Type.String({ description: '不能移交的原因代码（refused），或 receiver（拒收）' })),
  reasonLabel: Nullable(Type.String({ description: '原因（中文）' })),
  check: Check,
});

export const BatchSchema = Type.Composite([
  BatchBriefSchema,
  Type.Object({
    selector: Type.Object({
      category: Type.Optional(Type.String()),
      year: Type.Optional(Type.Integer()),
      items: Type.Optional(Type.Integer({ description: '按档号选取的件数' })),
      query: Type.Optional(
        Type.String({ description: '按检索式选取：编制时的检索式（检索语言同档案检索）' }),
      ),
      person: Type.Boolean({ description: '按参保人选取（只保存身份证号的盲索引）' }),
    }),
    exported: Nullable(
      Type.Object({
        by: Nullable(Type.String()),
        at: Nullable(Type.String({ format: 'date-time' })),
        digest: Type.String({ description: '移交包 tagmanifest 的摘要值' }),
        algorithm: Type.String(),
        payloadOxum: Nullable(Type.String()),
      }),
    ),
    receipt: Nullable(
      Type.Object({
        receiver: Nullable(Type.String()),
        at: Nullable(Type.String({ format: 'date-time' })),
        acceptedBy: Nullable(Type.String()),
        digest: Type.String({ description: '回执文件的摘要' }),
        keepUntil: Nullable(Type.String({ description: '本单位只读保存至' })),
      }),
    ),
    withdrawn: Nullable(
      Type.Object({
        by: Type.String(),
        at: Nullable(Type.String({ format: 'date-time' })),
        reason: Nullable(Type.String()),
      }),
    ),
    totals: Type.Object({ items: Type.Integer(), files: Type.Integer(), bytes: Type.Integer() }),
    items: Type.Array(BatchItemSchema),
  }),
]);

export const DrawSchema = Type.Object(
  {
    fonds: Type.String({ maxLength: 4, description: '全宗号' }),
    receiver: Type.String({ maxLength: 100, description: '接收单位' }),
    kind: Type.Optional(Type.Union([Type.Literal('fonds'), Type.Literal('person')])),
    category: Type.Optional(Type.String({ maxLength: 40, description: '类别代码（含其下级类别）' })),
    year: Type.Optional(Type.Integer({ minimum: 1900, maximum: 2200, description: '年度' })),
    items: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20000, description: '只移交这些档号' }),
    ),
    query: Type.Optional(
      Type.String({
        maxLength: 500,
        description:
          '只移交按此检索式（与档案检索相同的检索语言）在该全宗中检索到的档案；可与类别、年度同用；以编制人的检索范围为准',
      }),
    ),
    receiverKey: Type.Optional(
      Type.String({ maxLength: 2000, description: '接收方公钥（base64 SPKI DER）：只接受由它签署的回执' }),
    ),
    idNumber: Type.Optional(
      Type.String({ maxLength: 18, description: '参保关系转移：参保人身份证号（只保存其盲索引）' }),
    ),
  },
  { additionalProperties: false },
);

const Refusal = Type.Object({
  itemId: Type.Integer(),
  archiveCode: Type.String(),
  reason: Type.String(),
  message: Type.String(),
});

export const DrawResultSchema = Type.Object({
  code: Type.String(),
  kind: Type.Union([Type.Literal('fonds'), Type.Literal('person')]),
  items: Type.Integer({ description: '列入移交的件数' }),
  refused: Type.Array(Refusal),
});

export const AcceptSchema = Type.Object(
  {
    receipt: Type.String({ maxLength: 20_000_000, description: '接收方回执文件（JSON）的全文' }),
  },
  { additionalProperties: false },
);

export const AcceptResultSchema = Type.Object({
  code: Type.String(),
  receiver: Type.String(),
  accepted: Type.Integer(),
  rejected: Type.Array(Type.Object({ archiveCode: Type.String(), reason: Type.String() })),
  keepUntil: Type.String(),
});
