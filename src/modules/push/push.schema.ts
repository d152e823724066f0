import { type Static, Type } from '@sinclair/typebox';
import { ItemInputSchema } from '../catalog/item.schema.js';
import { MAX_INGEST_FILES } from './push.service.js';

// Request and response shapes of 经办即归档 and the lag report (the OpenAPI document is built from these).

export const IngestRequestSchema = Type.Object(
  {
    source: Type.String({
      description: '来源系统，如 结算系统（与业务流水号一起作为幂等键）',
      maxLength: 50,
    }),
    serial: Type.String({ description: '业务流水号：同一来源内唯一，重推时须相同', maxLength: 64 }),
    item: ItemInputSchema,
    files: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: '文件名', maxLength: 200 }),
            contentBase64: Type.String({ description: '文件内容（Base64）' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_INGEST_FILES, description: '随档案一起归档的电子文件（请求体合计不超过 32 MB）' },
      ),
    ),
  },
  { additionalProperties: false, description: '业务系统推送的一件档案（办理时间 handledAt 必填）' },
);
export type IngestRequestBody = Static<typeof IngestRequestSchema>;

export const IngestResultSchema = Type.Object({
  archiveCode: Type.String({ description: '档号' }),
  itemId: Type.Integer(),
  replayed: Type.Boolean({ description: 'true：此业务流水号此前已归档，返回原档号，未重复归档' }),
  handledAt: Type.String({ format: 'date-time', description: '办理时间' }),
  receivedAt: Type.String({ format: 'date-time', description: '归档时间' }),
  lagSeconds: Type.Integer({ description: '归档时滞（秒）：办理到归档' }),
  duplicates: Type.Integer({ description: '被标记为可能重复的已有档案件数（见 GET /duplicates）' }),
  files: Type.Array(
    Type.Object({
      fileNumber: Type.Integer(),
      fileName: Type.String(),
      digest: Type.String(),
      size: Type.Integer(),
      warnings: Type.Optional(
        Type.Array(Type.String(), { description: '提示（扩展名与内容不符、相同内容重复挂接），不影响归档' }),
      ),
    }),
  ),
});

const LagRowSchema = Type.Object({
  source: Type.Union([Type.String(), Type.Null()], { description: '来源系统；null 为合计' }),
  count: Type.Integer({ description: '归档件数' }),
  medianSeconds: Type.Number({ description: '时滞中位数（秒）' }),
  p95Seconds: Type.Number({ description: '时滞 95 分位（秒）' }),
  maxSeconds: Type.Number({ description: '最大时滞（秒）' }),
  overDay: Type.Integer({ description: '时滞超过 24 小时的件数' }),
});

export const LagReportSchema = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  overall: LagRowSchema,
  bySource: Type.Array(LagRowSchema),
});

export const LagQuerySchema = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: '开始（含），默认 30 天前' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: '结束（不含），默认现在' })),
  source: Type.Optional(Type.String({ maxLength: 50 })),
});
