import { type Static, Type } from '@sinclair/typebox';

// The archive item as the API, the CLI's item.json and the services see it. English keys; the
// Chinese name of each field is its description and appears in every error about it.

export const CARRIERS = { paper: '纸质', electronic: '电子', hybrid: '纸电双套' } as const;
export const SENSITIVITIES = { normal: '普通', sensitive: '敏感', restricted: '限制' } as const;
export const SECURITY_LEVELS = {
  public: '公开',
  internal: '内部',
  confidential: '秘密',
  secret: '机密',
  top_secret: '绝密',
} as const;

export type Carrier = keyof typeof CARRIERS;
export type Sensitivity = keyof typeof SENSITIVITIES;
export type SecurityLevel = keyof typeof SECURITY_LEVELS;

export const FIELD_LABELS = {
  fonds: '全宗号',
  category: '类别',
  year: '年度',
  org: '机构/问题',
  retention: '保管期限',
  title: '题名',
  docNumber: '文件编号',
  responsible: '责任者',
  date: '日期',
  securityLevel: '密级',
  insuredNumber: '参保号',
  idNumber: '身份证号',
  name: '姓名',
  businessType: '业务类型',
  handledAt: '办理时间',
  handler: '经办人',
  agency: '经办机构',
  poolingRegion: '统筹区',
  amount: '金额',
  carrier: '载体',
  paperLocation: '纸质存放位置',
  sensitivity: '敏感级别',
  extra: '类别专属字段',
  reason: '变更原因',
} as const;

export type ItemField = keyof typeof FIELD_LABELS;

/** Longest accepted text per field, in characters (the database columns allow the same). */
export const MAX_LENGTHS: Partial<Record<ItemField, number>> = {
  org: 16,
  title: 500,
  docNumber: 100,
  responsible: 200,
  insuredNumber: 32,
  name: 50,
  businessType: 50,
  handler: 50,
  agency: 100,
  reason: 500,
};

const text = (field: ItemField, extra: object = {}) =>
  Type.String({ description: FIELD_LABELS[field], maxLength: MAX_LENGTHS[field], ...extra });
const enumOf = (field: ItemField, values: Record<string, string>) =>
  Type.Union(
    Object.keys(values).map((value) => Type.Literal(value)),
    {
      description: `${FIELD_LABELS[field]}：${Object.entries(values)
        .map(([code, label]) => `${code}=${label}`)
        .join('，')}（也可直接填中文）`,
    },
  );

export const PaperLocationSchema = Type.Object(
  {
    warehouse: Type.String({ description: '库房', maxLength: 20 }),
    cabinet: Type.String({ description: '柜', maxLength: 20 }),
    shelf: Type.String({ description: '层', maxLength: 20 }),
    box: Type.String({ description: '盒', maxLength: 20 }),
  },
  { description: FIELD_LABELS.paperLocation },
);

const mutableFields = {
  retention: Type.Optional(
    Type.String({ description: '保管期限：Y/D100/D50/D30/D15/D10；不填则按类别和统筹区的保管期限表' }),
  ),
  title: text('title'),
  docNumber: Type.Optional(text('docNumber')),
  responsible: text('responsible'),
  date: Type.String({ description: `${FIELD_LABELS.date}（形成日期，YYYY-MM-DD）`, format: 'date' }),
  securityLevel: Type.Optional(enumOf('securityLevel', SECURITY_LEVELS)),
  insuredNumber: Type.Optional(text('insuredNumber')),
  idNumber: Type.Optional(Type.String({ description: '身份证号（18位，GB 11643 校验）' })),
  name: Type.Optional(text('name')),
  businessType: Type.Optional(text('businessType')),
  handledAt: Type.Optional(
    Type.String({ description: '办理时间（ISO 8601，如 2024-03-15T10:20:00+08:00）' }),
  ),
  handler: Type.Optional(text('handler')),
  agency: Type.Optional(text('agency')),
  poolingRegion: Type.Optional(Type.String({ description: '统筹区（6位行政区划代码）' })),
  amount: Type.Optional(
    Type.Union([Type.String(), Type.Number()], { description: '金额（元，非负，最多两位小数）' }),
  ),
  carrier: Type.Optional(enumOf('carrier', CARRIERS)),
  paperLocation: Type.Optional(Type.Union([PaperLocationSchema, Type.Null()])),
  sensitivity: Type.Optional(enumOf('sensitivity', SENSITIVITIES)),
  extra: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: '类别专属字段（见 GET /api/v1/categories）' }),
  ),
};

export const ItemInputSchema = Type.Object(
  {
    fonds: Type.String({ description: '全宗号（4位）' }),
    category: Type.String({ description: '类别代码，如 JSLX' }),
    year: Type.Optional(Type.Integer({ description: '年度；不填取日期的年份' })),
    org: Type.Optional(text('org', { description: '机构/问题代码，如 JSK' })),
    ...mutableFields,
  },
  { additionalProperties: false, description: '归档的一件档案' },
);
export type ItemInput = Static<typeof ItemInputSchema>;

export const ItemPatchSchema = Type.Object(
  {
    ...Object.fromEntries(Object.entries(mutableFields).map(([key, schema]) => [key, Type.Optional(schema)])),
    reason: text('reason', { minLength: 1 }),
  },
  { additionalProperties: false, description: '档案变更（须附变更原因）' },
);
export type ItemPatch = Partial<Omit<ItemInput, 'fonds' | 'category' | 'year' | 'org'>> & { reason: string };

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ItemSchema = Type.Object(
  {
    id: Type.Integer(),
    archiveCode: Type.String({ description: '档号' }),
    fonds: Type.String(),
    category: Type.String(),
    categoryName: Type.String(),
    year: Type.Integer(),
    org: Type.String(),
    itemNumber: Type.Integer({ description: '件号' }),
    retention: Type.String(),
    retentionExpiresOn: nullable(Type.String({ description: '保管期满日期；永久为 null' })),
    title: Type.String(),
    docNumber: nullable(Type.String()),
    responsible: Type.String(),
    date: Type.String(),
    securityLevel: Type.String(),
    insuredNumber: nullable(Type.String()),
    idNumber: nullable(Type.String()),
    name: nullable(Type.String()),
    businessType: nullable(Type.String()),
    handledAt: nullable(Type.String()),
    handler: nullable(Type.String()),
    agency: nullable(Type.String()),
    poolingRegion: nullable(Type.String()),
    amount: nullable(Type.String()),
    carrier: Type.String(),
    paperLocation: Type.Union([PaperLocationSchema, Type.Null()]),
    sensitivity: Type.String(),
    extra: Type.Record(Type.String(), Type.Unknown()),
    version: Type.Integer(),
    changeReason: nullable(Type.String()),
    createdBy: Type.String(),
    createdAt: Type.String(),
    updatedBy: Type.String(),
    updatedAt: Type.String(),
    withheld: Type.Optional(
      Type.Boolean({ description: '敏感档案未获查阅授权：仅列出档号与分类信息，内容已隐去' }),
    ),
    destroyed: Type.Optional(
      Type.Object(
        {
          register: Type.String({ description: '销毁清册编号' }),
          at: Type.String({ description: '销毁时间' }),
          digest: Type.String({ description: '所销毁内容的摘要' }),
        },
        { description: '已按销毁清册销毁（仅余档号、题名等目录信息）；未销毁的档案无此字段' },
      ),
    ),
    destroyedPending: Type.Optional(
      Type.Literal(true, {
        description: '销毁中（待副本确认）：密钥已销毁、目录已删减，尚待各副本确认删除文件；确认后无此字段',
      }),
    ),
    transferred: Type.Optional(
      Type.Object(
        {
          batch: Type.String({ description: '移交批次编号' }),
          at: Type.String({ description: '接收方回执登记时间' }),
          keepUntil: Type.String({ description: '本单位只读保存至（日期）' }),
        },
        {
          description: '已移交（接收方已出具回执）：本单位只读保存，不能修改或添加文件；未移交的档案无此字段',
        },
      ),
    ),
    received: Type.Optional(
      Type.Object(
        {
          originalCode: Type.String({ description: '原档号（移交方的档号）' }),
          source: Type.String({ description: '来源单位（移交方）' }),
          batch: Type.String({ description: '移交批次编号' }),
        },
        { description: '接收自其他单位的移交包：原档号与来源单位；本单位归档的档案无此字段' },
      ),
    ),
  },
  { description: '档案' },
);
export type Item = Static<typeof ItemSchema>;

export const ItemVersionSchema = Type.Object({
  version: Type.Integer(),
  changedBy: Type.String(),
  changedAt: Type.String(),
  reason: nullable(Type.String()),
  item: ItemSchema,
});
export type ItemVersion = Static<typeof ItemVersionSchema>;
