import { Type } from '@sinclair/typebox';

// 接收 in the API: a received bag, its items' outcomes with the four-property results, the 回执.

const Finding = Type.Object({
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('skipped')]),
  detail: Type.String(),
});

export const ReceivedItemSchema = Type.Object({
  sourceArchiveCode: Type.String({ description: '移交方档号' }),
  accepted: Type.Boolean({ description: '是否接收' }),
  reason: Type.Optional(Type.String({ description: '拒收原因' })),
  archiveCode: Type.Optional(Type.String({ description: '本馆档号（接收后）' })),
  checks: Type.Object(
    { authenticity: Finding, integrity: Finding, usability: Finding, security: Finding },
    { description: '四性检测：真实性、完整性、可用性、安全性' },
  ),
});

export const BagProblemSchema = Type.Object({
  code: Type.String({ description: '问题代码（BAG_…）' }),
  path: Type.Optional(Type.String({ description: '所涉文件（包内路径）' })),
  message: Type.String(),
});

const State = Type.Union([Type.Literal('accepted'), Type.Literal('partial'), Type.Literal('rejected')], {
  description: '接收结果：accepted 全部接收，partial 部分接收，rejected 全部拒收',
});
const Kind = Type.Union([Type.Literal('fonds'), Type.Literal('person')], {
  description: 'fonds 按全宗移交，person 参保关系转移（个人）',
});

export const ReceivedBagSchema = Type.Object({
  id: Type.Integer(),
  batch: Type.String({ description: '移交批次编号' }),
  kind: Kind,
  sender: Type.String({ description: '移交单位' }),
  fonds: Type.String({ description: '接收全宗号' }),
  state: State,
  bagDigest: Type.String({ description: '移交包摘要（标签清单的摘要值）' }),
  digestAlgorithm: Type.String(),
  receivedBy: Type.String(),
  receivedAt: Type.String(),
  problems: Type.Array(BagProblemSchema, { description: '移交包本身的问题（有则全部拒收）' }),
  receiptDigest: Type.String({ description: '签名回执的 SHA-256 摘要' }),
  counts: Type.Object(
    { accepted: Type.Integer(), rejected: Type.Integer() },
    { description: '接收与拒收的件数' },
  ),
});

export const ReceivedBagDetailSchema = Type.Composite([
  ReceivedBagSchema,
  Type.Object({
    items: Type.Array(ReceivedItemSchema),
    receipt: Type.String({ description: '签名的接收回执（JSON 文本）' }),
    receiptName: Type.String(),
  }),
]);
