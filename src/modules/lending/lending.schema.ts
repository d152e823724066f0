import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';
import { MAX_LOAN_ITEMS } from './lending.request.js';

// The loan and its rule as the API shows them (TypeBox; they become the OpenAPI document).

const Time = Nullable(Type.String({ format: 'date-time' }));
const Day = Nullable(Type.String({ format: 'date' }));

export const LoanSchema = Type.Object(
  {
    loanNo: Type.String({ description: '借阅单号，如 JY2026-000123' }),
    kind: Type.String({ description: 'paper 实体借出、electronic 电子阅览、copy 复制' }),
    kindName: Type.String(),
    state: Type.String({
      description:
        'requested 待审批、approved 已批准、rejected 已驳回、withdrawn 已撤回、on_loan 在借、closed 已完结',
    }),
    shownState: Type.String({ description: '显示的状态：另有 expired 已到期（电子借阅）、level1 一级已批' }),
    stateName: Type.String(),
    requestedBy: Type.String(),
    borrower: Type.Object({
      user: Nullable(Type.String({ description: '借阅人账户（本单位人员）' })),
      organisation: Nullable(Type.String({ description: '外单位名称' })),
      person: Nullable(Type.String({ description: '外单位经办人' })),
      letterNo: Nullable(Type.String({ description: '介绍信编号' })),
    }),
    purpose: Type.String(),
    daysRequested: Type.Integer(),
    daysApproved: Nullable(Type.Integer()),
    approvalLevels: Type.Integer(),
    approvedLevel: Type.Integer(),
    level1By: Nullable(Type.String()),
    level1At: Time,
    level2By: Nullable(Type.String()),
    level2At: Time,
    rejectedBy: Nullable(Type.String()),
    rejectedAt: Time,
    rejectReason: Nullable(Type.String()),
    handedOverBy: Nullable(Type.String()),
    handedOverAt: Time,
    dueOn: Day,
    returnedOn: Day,
    returnedBy: Nullable(Type.String()),
    renewals: Type.Integer(),
    renewalsAllowed: Type.Integer(),
    renewalDays: Type.Integer(),
    overdue: Type.Boolean({ description: '实体借出已过应还日仍未归还' }),
    createdAt: Type.String({ format: 'date-time' }),
    closedAt: Time,
    items: Type.Array(
      Type.Object({
        archiveCode: Type.String(),
        title: Nullable(Type.String({ description: '题名（已脱敏；敏感档案不显示）' })),
        handedOverAt: Time,
        pagesOut: Nullable(Type.Integer()),
        returnedAt: Time,
        pagesReturned: Nullable(Type.Integer()),
        condition: Nullable(Type.String({ description: 'intact 完好、damaged 破损、pages_missing 缺页' })),
        conditionName: Nullable(Type.String()),
        damage: Nullable(Type.String()),
      }),
    ),
  },
  { description: '借阅单' },
);

export const LoanRequestSchema = Type.Object({
  kind: Type.Union([Type.Literal('paper'), Type.Literal('electronic'), Type.Literal('copy')], {
    description: 'paper 实体借出、electronic 电子阅览、copy 复制',
  }),
  items: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: MAX_LOAN_ITEMS }),
  purpose: Type.String({ maxLength: 200, description: '借阅目的（至少4个字）' }),
  days: Type.Integer({ minimum: 1, maximum: 365, description: '借阅天数' }),
  borrower: Type.Optional(
    Type.Object({
      user: Type.Optional(Type.String({ maxLength: 64, description: '借阅人账户（档案员代他人登记）' })),
      organisation: Type.Optional(Type.String({ maxLength: 100, description: '外单位名称' })),
      person: Type.Optional(Type.String({ maxLength: 50, description: '外单位经办人' })),
      letterNo: Type.Optional(Type.String({ maxLength: 50, description: '介绍信编号' })),
    }),
  ),
});

export const LoanRuleSchema = Type.Object(
  {
    id: Type.Integer(),
    category: Nullable(Type.String({ description: '类别代码；空为任何类别' })),
    categoryName: Nullable(Type.String()),
    sensitivity: Nullable(Type.String({ description: '敏感级别；空为任何级别' })),
    retention: Nullable(Type.String({ description: '保管期限（Y 永久、D30 …）；空为任何期限' })),
    approvalLevels: Type.Integer({ minimum: 1, maximum: 2 }),
    level1Roles: Type.Array(Type.String()),
    level2Roles: Type.Array(Type.String()),
    maxDays: Type.Integer(),
    renewalsAllowed: Type.Integer(),
    renewalDays: Type.Integer(),
    paperMayLeave: Type.Boolean({ description: '纸质原件可否出库' }),
    note: Nullable(Type.String()),
    updatedBy: Type.String(),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: '借阅规则' },
);

export const LoanRuleInputSchema = Type.Object({
  category: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
  sensitivity: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
  retention: Type.Optional(Nullable(Type.String({ maxLength: 10 }))),
  approvalLevels: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 })),
  level1Roles: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 5 })),
  level2Roles: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 5 })),
  maxDays: Type.Integer({ minimum: 1, maximum: 365 }),
  renewalsAllowed: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  renewalDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  paperMayLeave: Type.Optional(Type.Boolean()),
  note: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
});
