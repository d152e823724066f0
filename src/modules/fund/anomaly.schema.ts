import { type Static, Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The shapes of the anomaly and group answers (API, CLI --json and the console read the same).

export const AnomalyFlagSchema = Type.Object({
  kind: Type.String({ description: 'institution（医疗机构）或 person（参保人）' }),
  subject: Type.String({ description: '机构编码，或参保人（身份证号已脱敏）' }),
  name: Type.String({ description: '机构名称；参保人为“参保人”' }),
  level: Nullable(Type.String({ description: '机构等级（一级、二级、三级、未定级）' })),
  region: Type.String({ description: '同组比较的统筹区（机构：结算统筹区；参保人：参保地）' }),
  measure: Type.String({ description: '指标代码' }),
  measureName: Type.String({ description: '指标' }),
  value: Type.Number({ description: '指标值（费用为元，比例为 0～1，次数为每月次数）' }),
  valueText: Type.String({ description: '指标值（文字）' }),
  volume: Type.Integer({ description: '指标所据的结算（住院）次数' }),
  peers: Type.Integer({ description: '同组（同级同统筹区）个数，含本身' }),
  peerMedian: Type.Number({ description: '同组中位数' }),
  peerScale: Type.Number({ description: '稳健标准差（1.4826 × MAD）' }),
  score: Type.Number({ description: '稳健分数：(指标值 − 中位数) ÷ 稳健标准差' }),
  explanation: Type.String({ description: '中文说明' }),
});
export type AnomalyFlag = Static<typeof AnomalyFlagSchema>;

export const UnscoredSchema = Type.Object({
  measure: Type.String(),
  measureName: Type.String(),
  level: Nullable(Type.String()),
  region: Type.String(),
  peers: Type.Integer({ description: '同组个数' }),
  reason: Type.String({ description: '未评分的原因' }),
});

export const PeerGroupSchema = Type.Object({
  measure: Type.String(),
  measureName: Type.String(),
  level: Nullable(Type.String()),
  region: Type.String(),
  median: Type.Number(),
  scale: Type.Number(),
  members: Type.Array(
    Type.Object({
      subject: Type.String({ description: '机构编码' }),
      name: Type.String(),
      value: Type.Number(),
      score: Type.Number(),
      flagged: Type.Boolean(),
    }),
  ),
});

export const AnomalyReportSchema = Type.Object({
  kind: Type.String(),
  kindName: Type.String(),
  from: Type.String({ description: '起始日期（结算日期，含）' }),
  to: Type.String({ description: '截止日期（含）' }),
  region: Nullable(Type.String({ description: '所选统筹区；null 为您范围内的全部' })),
  params: Type.Object({
    threshold: Type.Number({ description: '稳健分数阈值（|分数| ≥ 阈值即标记）' }),
    minPeers: Type.Integer({ description: '同组至少几个才评分' }),
    minVolume: Type.Integer({ description: '至少几次结算（住院）才计入' }),
    highPrice: Type.Number({ description: '高价项目的单价下限（元）' }),
    readmitDays: Type.Integer({ description: '再住院的天数' }),
  }),
  measures: Type.Array(
    Type.Object({ code: Type.String(), name: Type.String(), how: Type.String({ description: '计算方法' }) }),
  ),
  subjects: Type.Integer({ description: '期间内有结算的机构（参保人）数' }),
  scored: Type.Integer({ description: '参与评分的（指标 × 对象）数' }),
  flagged: Type.Integer({ description: '标记的异常总数' }),
  flags: Type.Array(AnomalyFlagSchema, { description: '按 |稳健分数| 从大到小，最多 limit 条' }),
  lowVolume: Type.Integer({ description: '因结算次数不足未计入的（指标 × 对象）数' }),
  unscored: Type.Array(UnscoredSchema, { description: '同组太少或取值全同而未评分的组' }),
  peerGroups: Type.Array(PeerGroupSchema, { description: '含标记机构的同组明细（仅机构，供图表）' }),
  note: Type.String({ description: '说明' }),
});
export type AnomalyReport = Static<typeof AnomalyReportSchema>;
