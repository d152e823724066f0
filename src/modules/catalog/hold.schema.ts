import { type TSchema, Type } from '@sinclair/typebox';
import { MAX_HOLD_ITEMS } from './hold.service.js';

// The shapes of /api/v1/holds (冻结), documented in the OpenAPI; the service checks the content and
// answers each problem in Chinese (the body is handed through as given).

// The catalog lies below the HTTP kit (which needs access), so it spells its own nullable.
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Kind = Type.Union([Type.Literal('items'), Type.Literal('query'), Type.Literal('category_year')], {
  description: 'items 指定档案；query 按条件；category_year 按类别和年度',
});

export const HoldInputSchema = Type.Object({
  fonds: Type.String({ maxLength: 4, description: '全宗号' }),
  kind: Type.Optional(Kind),
  items: Type.Optional(
    Type.Array(Type.String({ maxLength: 200 }), {
      maxItems: MAX_HOLD_ITEMS,
      description: '档号（按档号冻结）',
    }),
  ),
  category: Type.Optional(Type.String({ maxLength: 16, description: '类别代码（含其子类）' })),
  year: Type.Optional(Type.Integer({ description: '年度' })),
  idNumber: Type.Optional(
    Type.String({ maxLength: 18, description: '参保人身份证号：只保存其盲索引与脱敏形式，不回显' }),
  ),
  insuredNumber: Type.Optional(Type.String({ maxLength: 32, description: '参保人编号' })),
  org: Type.Optional(Type.String({ maxLength: 16, description: '机构/问题代码' })),
  institution: Type.Optional(Type.String({ maxLength: 32, description: '定点机构编码' })),
  businessType: Type.Optional(Type.String({ maxLength: 50, description: '业务类型' })),
  reason: Type.String({ maxLength: 500, description: '冻结原因（至少4个字）' }),
  caseRef: Type.Optional(Type.String({ maxLength: 100, description: '案件编号' })),
});

const Time = Type.String({ format: 'date-time' });

export const HoldSchema = Type.Object({
  code: Type.String({ description: '冻结编号，如 DJ-2026-1' }),
  fonds: Type.String(),
  kind: Kind,
  kindName: Type.String(),
  selector: Type.Object({
    category: Nullable(Type.String()),
    categoryName: Nullable(Type.String()),
    year: Nullable(Type.Integer()),
    idNumber: Nullable(Type.String({ description: '参保人身份证号（脱敏）' })),
    insuredNumber: Nullable(Type.String({ description: '参保人编号（脱敏）' })),
    org: Nullable(Type.String()),
    institution: Nullable(Type.String()),
    businessType: Nullable(Type.String()),
  }),
  summary: Type.String({ description: '冻结范围的文字说明' }),
  reason: Type.String(),
  caseRef: Nullable(Type.String()),
  source: Type.Union([Type.Literal('manual'), Type.Literal('case')]),
  sourceName: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('lifted')]),
  stateName: Type.String(),
  placedBy: Type.String(),
  placedAt: Time,
  liftedBy: Nullable(Type.String()),
  liftedAt: Nullable(Time),
  liftReason: Nullable(Type.String()),
  itemCount: Nullable(
    Type.Integer({
      description:
        '您的档案范围内被冻结的档案件数（按条件冻结：按当前档案计算；无查阅档案权限者看不到按条件冻结的件数，为 null）',
    }),
  ),
});

export const HoldDetailSchema = Type.Composite([
  HoldSchema,
  Type.Object({
    items: Nullable(
      Type.Array(Type.String(), { description: '被冻结档案的档号（前200个；无查阅档案权限者为 null）' }),
    ),
  }),
]);
