import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { invalid } from '../../shared/errors.js';
import { checkSeries, type SeriesPoint } from './forecast.engine.js';
import { parseMonth } from './forecast.months.js';
import { ForecastBody, ForecastQuery, ForecastSchema } from './forecast.schema.js';
import { forecastBuiltIn, forecastGiven } from './forecast.service.js';

// 趋势预测 over HTTP: a built-in series of the caller's regions (GET), or a series given in the body
// as (period, value) pairs or a CSV file in Base64 (POST). Nothing is stored.

const tags = ['基金监管'];
const DEFAULT_HORIZON = 12;

/** Pairs as given: months spelled as the CSV may spell them, checked as the CSV is. */
function pointsOf(points: ReadonlyArray<{ period: string; value: number }>): SeriesPoint[] {
  const read = points.map((point, i) => {
    const period = parseMonth(point.period);
    if (period === null)
      throw invalid(
        'FORECAST_CSV_ROW',
        `第 ${i + 1} 个点的月份“${point.period.slice(0, 10)}”不是 YYYY-MM 格式的月份`,
      );
    return { period, value: point.value };
  });
  checkSeries(read);
  return read;
}

export const forecastRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/forecasts',
    {
      config: { permission: 'fund.read' },
      schema: {
        tags,
        summary: '预测内置序列（参保人数、结算笔数、基金支出）：回测误差、与基线的比较和预测区间',
        querystring: ForecastQuery,
        response: { 200: ForecastSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      forecastBuiltIn(db, await accessOf(request, db), {
        series: request.query.series,
        ...(request.query.region ? { region: request.query.region } : {}),
        horizon: request.query.horizon ?? DEFAULT_HORIZON,
      }),
  );

  app.post(
    '/forecasts',
    {
      config: { permission: 'fund.read' },
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags,
        summary: '预测给定的月度序列：points 为（月份，数值）数组，或 csvBase64 为 CSV 文件（UTF-8 或 GBK）',
        body: ForecastBody,
        response: { 200: ForecastSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request) => {
      const { points, csvBase64, horizon, name } = request.body;
      if ((points === undefined) === (csvBase64 === undefined))
        throw invalid(
          'FORECAST_SERIES_INVALID',
          '请给出 points（月份与数值）或 csvBase64（CSV 文件）二者之一',
        );
      return forecastGiven({
        horizon,
        ...(name ? { name } : {}),
        ...(points ? { points: pointsOf(points) } : { csv: Buffer.from(csvBase64 as string, 'base64') }),
      });
    },
  );
};
