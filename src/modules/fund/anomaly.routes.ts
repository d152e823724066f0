import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { MEASURE_NAMES, MEASURES } from './anomaly.names.js';
import { AnomalyReportSchema } from './anomaly.schema.js';
import { findAnomalies } from './anomaly.service.js';
import { GroupReportSchema } from './group.schema.js';
import { findGroups } from './group.service.js';

// 异常机构与人员 and 高风险群体: read-only look-ups over the settlements of the caller's regions
// (fund.read). A region outside the caller's scope reads nothing; people appear masked.

const tags = ['基金监管'];
const errors = errorResponses(400, 401, 403);

const Period = {
  from: Type.Optional(
    Type.String({
      maxLength: 10,
      description: '起始日期（结算日期，含），如 2026-01-01 或 2026-01；默认截止日期前 365 天',
    }),
  ),
  to: Type.Optional(
    Type.String({
      maxLength: 10,
      description: '截止日期（含），如 2026-12-31 或 2026-12；默认今天（北京时间）',
    }),
  ),
  region: Type.Optional(
    Type.String({
      maxLength: 6,
      description: '统筹区代码（6 位，如 320115；320100 含其下各区县）；默认您范围内的全部',
    }),
  ),
};

export const anomalyRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/fund/anomalies',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary: '异常机构与人员：各项指标与同级同统筹区同类比较的稳健分数，标记偏离者并说明原因',
        querystring: Type.Object({
          kind: Type.Optional(
            Type.String({
              maxLength: 12,
              description: '对象：institution（医疗机构，默认）或 person（参保人）',
            }),
          ),
          ...Period,
          measure: Type.Optional(
            Type.String({
              maxLength: 100,
              description: `指标（可用逗号分隔多个；默认全部）：${MEASURES.map((code) => `${code}（${MEASURE_NAMES[code]}）`).join('、')}`,
            }),
          ),
          threshold: Type.Optional(
            Type.String({ maxLength: 10, description: '稳健分数阈值，1～20，默认 3.5' }),
          ),
          minPeers: Type.Optional(
            Type.String({ maxLength: 10, description: '同组至少几个才评分，3～1000，默认 5' }),
          ),
          minVolume: Type.Optional(
            Type.String({ maxLength: 10, description: '至少几次结算才计入，默认机构 10、参保人 3' }),
          ),
          highPrice: Type.Optional(
            Type.String({ maxLength: 12, description: '高价项目的单价下限（元），默认 1000' }),
          ),
          limit: Type.Optional(
            Type.String({ maxLength: 10, description: '最多返回几条标记，1～5000，默认 200' }),
          ),
        }),
        response: { 200: AnomalyReportSchema, ...errors },
      },
    },
    async (request) => findAnomalies(db, await accessOf(request, db), request.query),
  );

  app.get(
    '/fund/groups',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary:
          '高风险群体：按就诊频次、费用、机构数等特征聚类（固定种子），每群以文字与人数描述，成员只显示脱敏身份证号',
        querystring: Type.Object({
          ...Period,
          members: Type.Optional(
            Type.String({ maxLength: 4, description: '每群列出的成员数，0～500，默认 10' }),
          ),
        }),
        response: { 200: GroupReportSchema, ...errors },
      },
    },
    async (request) => findGroups(db, await accessOf(request, db), request.query),
  );
};
