import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The shapes the insured person's window answers with (they become the OpenAPI document).

export const ArchivesSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      archiveCode: Type.String({ description: '档号' }),
      title: Type.String(),
      categoryName: Type.String(),
      year: Type.Integer(),
      date: Type.String(),
      businessType: Nullable(Type.String()),
      agency: Nullable(Type.String()),
      name: Nullable(Type.String({ description: '姓名（脱敏）' })),
      idNumber: Nullable(Type.String({ description: '身份证号（脱敏）' })),
      sensitivity: Type.String(),
      retention: Type.String(),
    }),
  ),
  nextCursor: Nullable(Type.Integer()),
  destroyed: Type.Array(
    Type.Object({
      archiveCode: Type.String({ description: '档号' }),
      title: Type.String({ description: '题名（脱敏，即销毁清册所列）' }),
      categoryName: Type.String(),
      year: Type.Integer(),
      retention: Type.String(),
      state: Type.Literal('destroyed'),
      stateLabel: Type.String({ description: '已销毁' }),
      register: Type.String({ description: '销毁清册编号' }),
      destroyedAt: Type.String({ description: '销毁时间' }),
    }),
    { description: '保管期满后已依法销毁的本人档案（仅第一页返回；不含内容）' },
  ),
});

const Day = Type.String();
const Money = Type.String();

export const RecordsSchema = Type.Object({
  enrollments: Type.Array(
    Type.Object({
      scheme: Type.String({ description: 'employee 职工医保 / resident 城乡居民医保' }),
      employer: Nullable(Type.String()),
      startedOn: Day,
      paidThrough: Nullable(Day),
      endedOn: Nullable(Day),
      endReason: Nullable(Type.String()),
    }),
  ),
  contributions: Type.Array(
    Type.Object({
      scheme: Type.String(),
      periodYear: Type.Integer(),
      paidOn: Day,
      amount: Money,
      subsidy: Money,
    }),
  ),
  settlements: Type.Array(
    Type.Object({
      visitType: Type.String(),
      institution: Type.String(),
      visitStart: Day,
      visitEnd: Day,
      settledOn: Day,
      totalCost: Money,
      insurancePaid: Money,
      assistancePaid: Money,
    }),
  ),
  statuses: Type.Array(
    Type.Object({
      identity: Type.String(),
      source: Type.String(),
      includedOn: Day,
      exitedOn: Nullable(Day),
    }),
  ),
});

export const ViewsSchema = Type.Object({
  entries: Type.Array(
    Type.Object({
      at: Type.String({ description: '时间（北京时间）' }),
      archiveCode: Type.String(),
      action: Type.String(),
      actionLabel: Type.String({ description: '查阅、复制、查看未脱敏信息、调阅文件、按身份证号检索到……' }),
      agency: Type.String({ description: '查看方所属机构（全宗）' }),
      role: Type.String({ description: '查看方角色' }),
      staff: Nullable(Type.String({ description: '经办人账号：仅在政策允许公开时提供' })),
      purpose: Nullable(Type.String()),
      approval: Nullable(Type.String({ description: '依据：查阅申请编号或借阅单号' })),
      via: Nullable(Type.String()),
    }),
  ),
  total: Nullable(Type.Integer({ description: '所选时间范围内的次数（仅第一页返回）' })),
  nextCursor: Nullable(Type.String()),
  pending: Type.Boolean({ description: '仍有新近记录在整理中，稍后刷新可见' }),
});

export const CopySchema = Type.Object({
  copyNo: Type.String({ description: '复制件编号，如 FZ2026-000001' }),
  archiveCode: Type.String(),
  fileNumber: Type.Integer(),
  fileName: Type.String(),
  purpose: Type.String(),
  status: Type.String({ description: 'issued 已出具 / revoked 已作废' }),
  code: Type.String({ description: '核验码' }),
  digest: Type.String({ description: '复制件的 SHA-256' }),
  requestedAt: Type.String(),
  issuedAt: Type.String(),
  originalDestroyed: Nullable(
    Type.Object(
      { register: Nullable(Type.String()), at: Nullable(Type.String()) },
      { description: '原件档案已按销毁清册销毁（复制件内容一并销毁）；未销毁为 null' },
    ),
  ),
});

export const CopyCheckSchema = Type.Object({
  code: Type.String(),
  genuine: Type.Boolean(),
  archiveCode: Nullable(Type.String()),
  digest: Nullable(Type.String()),
  digestMatches: Nullable(Type.Boolean()),
  originalDestroyed: Type.Boolean({ description: '原件档案已于保管期满后依法销毁（复制件仍真实有效）' }),
  message: Type.String(),
});
