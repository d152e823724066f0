import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// TypeBox schemas of the settlement routes (they become the OpenAPI the console's types come from).

const Money = Type.String({ description: '金额（元，两位小数）' });
const DateText = Type.String({ description: 'YYYY-MM-DD' });

export const FundItemSchema = Type.Object({
  code: Type.String({ description: '医保项目编码' }),
  name: Type.String(),
  category: Type.String({ description: '药品 / 诊疗 / 耗材 / 床位' }),
  unitPrice: Money,
  sexLimit: Nullable(Type.String({ description: '限男 / 限女' })),
  ageMin: Nullable(Type.Integer()),
  ageMax: Nullable(Type.Integer()),
  perDay: Type.Boolean({ description: '每日限一次（床位费、护理费、诊查费等）' }),
  permittedDx: Type.Array(Type.String(), { description: '限定支付的诊断（ICD-10 前缀）' }),
  includes: Type.Array(Type.String(), { description: '已包含的项目（同时收取为重复收费）' }),
  parts: Type.Array(Type.String(), { description: '组合项目的组成项目（单独收取为分解收费）' }),
});

export const ItemsQuery = Type.Object({
  category: Type.Optional(
    Type.Union([Type.Literal('药品'), Type.Literal('诊疗'), Type.Literal('耗材'), Type.Literal('床位')]),
  ),
  q: Type.Optional(Type.String({ maxLength: 50, description: '编码或名称包含' })),
});

export const SettlementSchema = Type.Object({
  serial: Type.String({ description: '结算流水号' }),
  person: Type.Object({
    idNumber: Type.String({ description: '身份证号（脱敏）' }),
    key: Type.String({ description: '人员盲索引前 8 位' }),
    sex: Type.String(),
    ageAtAdmission: Type.Integer(),
  }),
  region: Type.String({ description: '统筹区' }),
  institution: Type.Object({ code: Type.String(), name: Type.String(), level: Type.String() }),
  visitType: Type.String({ description: '门诊 / 住院' }),
  admitDate: DateText,
  dischargeDate: DateText,
  stayDays: Type.Integer({ description: '住院天数（出院日期减入院日期）' }),
  primaryDx: Type.String({ description: '主要诊断（ICD-10 编码）' }),
  otherDx: Type.Array(Type.String()),
  totalCost: Money,
  fundPaid: Money,
  selfPaid: Money,
  settledOn: DateText,
  importId: Nullable(Type.Integer()),
  lineCount: Type.Integer(),
});

export const SettlementLineSchema = Type.Object({
  lineNo: Type.Integer(),
  itemCategory: Type.String(),
  itemCode: Type.String(),
  itemName: Type.String(),
  quantity: Type.String(),
  unitPrice: Money,
  amount: Money,
  daysSupply: Nullable(Type.Integer()),
  lineDate: DateText,
});

export const SettlementArchiveSchema = Type.Object({
  serial: Type.String(),
  archiveCode: Type.String({ description: '档号' }),
  fonds: Type.String(),
  category: Type.String(),
  categoryName: Type.String(),
  year: Type.Integer(),
  title: Type.String({ description: '题名（脱敏）' }),
  withheld: Type.Boolean({ description: '敏感档案未获批准：只列档号' }),
});

export const SettlementDetailSchema = Type.Composite([
  SettlementSchema,
  Type.Object({ lines: Type.Array(SettlementLineSchema), archives: Type.Array(SettlementArchiveSchema) }),
]);

export const SettlementsQuery = Type.Object({
  region: Type.Optional(Type.String({ maxLength: 6, description: '统筹区（行政区划代码或其前缀）' })),
  institution: Type.Optional(Type.String({ maxLength: 32, description: '定点医药机构编码' })),
  idNumber: Type.Optional(
    Type.String({ maxLength: 18, description: '参保人身份证号（按盲索引查找，不记录号码）' }),
  ),
  from: Type.Optional(Type.String({ maxLength: 10, description: '结算日期起' })),
  to: Type.Optional(Type.String({ maxLength: 10, description: '结算日期止' })),
  visitType: Type.Optional(Type.String({ maxLength: 2, description: '门诊 / 住院' })),
  cursor: Type.Optional(Type.String({ maxLength: 16 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});

const Amount = Type.Union([Type.Number(), Type.String({ maxLength: 20 })]);
export const PushBodySchema = Type.Object(
  {
    settlements: Type.Array(
      Type.Object({
        serial: Type.String({ maxLength: 64 }),
        idNumber: Type.String({ maxLength: 18 }),
        region: Type.String({ maxLength: 6 }),
        institutionCode: Type.String({ maxLength: 32 }),
        institutionName: Type.String({ maxLength: 200 }),
        institutionLevel: Type.String({ maxLength: 4 }),
        visitType: Type.String({ maxLength: 2 }),
        admitDate: Type.String({ maxLength: 20 }),
        dischargeDate: Type.Optional(Type.String({ maxLength: 20 })),
        primaryDx: Type.String({ maxLength: 16 }),
        otherDx: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 30 })),
        totalCost: Amount,
        fundPaid: Amount,
        selfPaid: Amount,
        settledOn: Type.String({ maxLength: 20 }),
        lines: Type.Array(
          Type.Object({
            lineNo: Type.Optional(Type.Integer({ minimum: 1 })),
            itemCategory: Type.Optional(Type.String({ maxLength: 4 })),
            itemCode: Type.String({ maxLength: 32 }),
            itemName: Type.Optional(Type.String({ maxLength: 200 })),
            quantity: Amount,
            unitPrice: Amount,
            amount: Amount,
            daysSupply: Type.Optional(Nullable(Type.Integer())),
            lineDate: Type.String({ maxLength: 20 }),
          }),
          { maxItems: 2000 },
        ),
      }),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

export const RefusalSchema = Type.Object({
  row: Type.Integer({ description: '文件中的行号（推送：批内第几行明细）' }),
  serial: Type.String(),
  field: Type.String(),
  code: Type.String({ description: '原因代码' }),
  message: Type.String({ description: '原因' }),
});

export const ImportReportSchema = Type.Object({
  importId: Type.Integer(),
  fileName: Type.String(),
  format: Type.String({ description: 'csv / xlsx / json（推送）' }),
  source: Type.String({ description: 'CSV 的编码或 XLSX 的工作表名' }),
  resumed: Type.Boolean({ description: '同一文件此前导入过：已写入的结算跳过' }),
  rows: Type.Integer(),
  settlements: Type.Integer(),
  imported: Type.Integer(),
  skipped: Type.Integer(),
  refused: Type.Integer({ description: '未导入的结算数' }),
  refusedRows: Type.Array(RefusalSchema),
  truncated: Type.Boolean(),
});

export const ImportRecordSchema = Type.Object({
  id: Type.Integer(),
  fileName: Type.String(),
  encoding: Type.String(),
  via: Type.String({ description: 'file 文件 / push 推送' }),
  totalRows: Type.Integer(),
  totalSettlements: Type.Integer(),
  imported: Type.Integer(),
  refused: Type.Integer(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});
