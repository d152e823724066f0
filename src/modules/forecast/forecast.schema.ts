import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';
import { MAX_HORIZON } from './forecast.engine.js';

// The forecast as the API answers it (the CLI's --json prints the same).

const Method = Type.Union(
  ['mstl_ets', 'ets', 'drift', 'seasonal_naive', 'naive'].map((method) => Type.Literal(method)),
  { description: '方法代码' },
);

const Score = {
  method: Method,
  name: Type.String({ description: '方法名称' }),
  mape: Nullable(Type.Number({ description: '平均绝对百分比误差（%）；实际值全为 0 时为 null' })),
  mase: Nullable(Type.Number({ description: '平均绝对标度误差；历史差分全为 0 时为 null' })),
  mae: Type.Number({ description: '平均绝对误差' }),
};

const Point = Type.Object({
  period: Type.String({ description: '月份 YYYY-MM' }),
  value: Type.Number(),
});

export const ForecastSchema = Type.Object({
  series: Nullable(Type.String({ description: '内置序列代码；上传的序列为 null' })),
  seriesName: Type.String(),
  unit: Nullable(Type.String()),
  region: Nullable(Type.String({ description: '统筹区代码前缀；null 为您范围内的全部' })),
  points: Type.Integer({ description: '历史月数' }),
  horizon: Type.Integer({ description: '预测月数' }),
  tried: Method,
  method: Method,
  methodName: Type.String({ description: '给出预测所用的方法' }),
  fellBack: Type.Boolean({ description: '模型回测不如基线，预测改用基线方法' }),
  notes: Type.Array(Type.String(), { description: '说明（较简单的模型、回测误差、与基线的比较、回退）' }),
  history: Type.Array(Point),
  forecast: Type.Array(
    Type.Object({
      period: Type.String(),
      value: Type.Number({ description: '点预测' }),
      lower80: Type.Number(),
      upper80: Type.Number(),
      lower95: Type.Number(),
      upper95: Type.Number(),
    }),
  ),
  backtest: Type.Object({
    origins: Type.Integer({ description: '滚动预测起点个数' }),
    from: Type.String(),
    to: Type.String(),
    errors: Type.Integer({ description: '参与评分的误差个数' }),
    model: Type.Object(Score),
    baselines: Type.Array(
      Type.Object({
        ...Score,
        verdict: Type.Union([Type.Literal('better'), Type.Literal('similar'), Type.Literal('worse')], {
          description: '模型相对该基线：better 优于，similar 相当（差异不显著），worse 不如',
        }),
      }),
    ),
  }),
});

export const Horizon = Type.Integer({ minimum: 1, maximum: MAX_HORIZON, description: '预测月数（1–36）' });

export const ForecastQuery = Type.Object({
  series: Type.String({
    description: 'enrollment（参保人数）、settlements（结算笔数）或 fund_paid（基金支出）',
  }),
  region: Type.Optional(
    Type.String({ description: '统筹区代码（2、4 或 6 位前缀，如 3201）；不填为您范围内的全部' }),
  ),
  horizon: Type.Optional(Horizon),
});

export const ForecastBody = Type.Object(
  {
    horizon: Horizon,
    name: Type.Optional(Type.String({ maxLength: 100, description: '序列名称' })),
    points: Type.Optional(
      Type.Array(Type.Object({ period: Type.String({ maxLength: 10 }), value: Type.Number() }), {
        maxItems: 1200,
      }),
    ),
    csvBase64: Type.Optional(
      Type.String({ maxLength: 1_400_000, description: 'CSV 文件（月份，数值；UTF-8 或 GBK）的 Base64' }),
    ),
  },
  { additionalProperties: false },
);
