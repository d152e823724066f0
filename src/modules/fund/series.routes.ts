import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { SettlementSeriesQuery, SettlementSeriesSchema } from './series.schema.js';
import { settlementSeries } from './series.service.js';

// GET /fund/series: the monthly settlements and fund expenditure of a region the caller reaches.

const tags = ['基金监管'];

export const seriesRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/fund/series',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary: '基金月度序列：每月结算笔数、基金支付与医疗总费用（按结算日期，限您范围内的统筹区）',
        querystring: SettlementSeriesQuery,
        response: { 200: SettlementSeriesSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => settlementSeries(db, await accessOf(request, db), request.query),
  );
};
