import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The monthly settlement series as the API answers it.

export const SettlementSeriesSchema = Type.Object({
  region: Nullable(Type.String({ description: '统筹区代码前缀；null 表示您范围内的全部统筹区' })),
  points: Type.Array(
    Type.Object({
      period: Type.String({ description: '月份 YYYY-MM（按结算日期）' }),
      settlements: Type.Integer({ description: '结算笔数' }),
      fundPaid: Type.String({ description: '基金支付（元）' }),
      totalCost: Type.String({ description: '医疗总费用（元）' }),
    }),
  ),
});

export const SettlementSeriesQuery = Type.Object({
  region: Type.Optional(Type.String({ description: '统筹区代码（2、4 或 6 位前缀，如 3201）' })),
  from: Type.Optional(Type.String({ description: '起始月份 YYYY-MM' })),
  to: Type.Optional(Type.String({ description: '截止月份 YYYY-MM' })),
});
