import { type Static, Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The shape of the 高风险群体 answer (API, CLI --json and the console read the same).

export const GroupClusterSchema = Type.Object({
  id: Type.Integer({ description: '群体序号（高风险在前，人数多的在前）' }),
  label: Type.String({ description: '群体特征，如“高频就诊、多机构就诊”' }),
  risk: Type.String({ description: '高风险 或 一般' }),
  size: Type.Integer({ description: '人数' }),
  description: Type.String({ description: '群体的文字描述（特征与人数、均值）' }),
  means: Type.Record(Type.String(), Type.Number(), { description: '各特征的群体均值（原始单位）' }),
  centroid: Type.Record(Type.String(), Type.Number(), { description: '各特征的群体中心（标准化后）' }),
  members: Type.Array(Type.String(), {
    description: '成员（身份证号已脱敏），距中心由近到远，最多 members 个',
  }),
});

export const GroupReportSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  region: Nullable(Type.String()),
  persons: Type.Integer({ description: '期间内有结算的参保人数' }),
  clustered: Type.Boolean({ description: '是否进行了聚类（人数太少时不聚类）' }),
  k: Type.Integer({ description: '群体个数（0 表示未聚类）' }),
  kRule: Type.String({ description: '群体个数的选取规则' }),
  tried: Type.Array(Type.Object({ k: Type.Integer(), silhouette: Type.Number() }), {
    description: '各 k 的平均轮廓系数',
  }),
  seed: Type.Integer({ description: '随机种子（固定，结果可复现）' }),
  features: Type.Array(
    Type.Object({
      code: Type.String(),
      name: Type.String(),
      how: Type.String({ description: '计算与变换' }),
    }),
  ),
  clusters: Type.Array(GroupClusterSchema),
  note: Type.String(),
});
export type GroupReport = Static<typeof GroupReportSchema>;
