import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { requestActor } from '../../http/request.js';
import { ItemSchema } from '../catalog/item.schema.js';
import { MAX_QUERY_LENGTH } from './query.js';
import { MAX_PAGE, search } from './search.service.js';

// GET /api/v1/search: thin over the search service. What was filed a moment ago is taken into the
// index first (a bounded amount; the server's indexer does the rest in the background).

const CATCH_UP_ON_SEARCH = 5000;

const FacetSchema = Type.Array(
  Type.Object({ value: Type.String(), label: Type.String(), count: Type.Integer() }),
);

const SearchResultSchema = Type.Object({
  total: Type.Integer({ description: '命中件数（exact 为 false 时为抽样估计，显示为“约”）' }),
  exact: Type.Boolean(),
  facets: Type.Object({
    category: FacetSchema,
    year: FacetSchema,
    region: FacetSchema,
    carrier: FacetSchema,
  }),
  hits: Type.Array(
    Type.Object({
      item: ItemSchema,
      score: Type.Union([Type.Integer(), Type.Null()]),
      highlights: Type.Array(
        Type.Object({
          field: Type.String(),
          label: Type.String(),
          text: Type.String(),
          marks: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
            description: '命中词在 text 中的位置 [起, 止)',
          }),
        }),
      ),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  sort: Type.Union([Type.Literal('relevance'), Type.Literal('date')]),
  notices: Type.Array(Type.String()),
  indexPending: Type.Integer({ description: '尚未编入索引的日志事件数（新归档的档案可能暂未检索到）' }),
});

const text = (description: string, maxLength = 100) => Type.Optional(Type.String({ description, maxLength }));

export const searchRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/search',
    {
      config: { permission: 'item.read' },
      schema: {
        tags: ['检索'],
        summary: '全文检索与分面统计（题名、著录项、姓名、身份证号、扫描页文字）',
        description:
          '检索式：词语、"短语"、AND / OR / NOT（或 & | -）、括号，字段前缀 题名: 姓名: 身份证号: 参保号:。' +
          '姓名按同音字与一字之差模糊匹配，精确匹配排在前面。',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: MAX_QUERY_LENGTH * 4, description: '检索式' })),
          category: text('类别代码（含下级类别）', 16),
          fonds: text('全宗号', 4),
          yearFrom: Type.Optional(Type.Integer({ description: '起始年度' })),
          yearTo: Type.Optional(Type.Integer({ description: '截止年度' })),
          retention: text('保管期限：Y/D100/D50/D30/D15/D10', 10),
          region: text('统筹区（2、4 或 6 位行政区划代码）', 6),
          carrier: text('载体：paper/electronic/hybrid 或 纸质/电子/纸电双套', 16),
          sensitivity: text('敏感级别：normal/sensitive/restricted 或 普通/敏感/限制', 16),
          amountMin: text('最小金额（元）', 20),
          amountMax: text('最大金额（元）', 20),
          dateFrom: text('起始日期 YYYY-MM-DD', 10),
          dateTo: text('截止日期 YYYY-MM-DD', 10),
          handler: text('经办人'),
          agency: text('经办机构'),
          sort: Type.Optional(
            Type.Unsafe<'relevance' | 'date'>({
              type: 'string',
              enum: ['relevance', 'date'],
              description: '排序：relevance 相关度，date 日期',
            }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 })),
          cursor: text('上一页返回的 nextCursor', 200),
          unmask: Type.Optional(Type.Boolean({ description: '显示未脱敏的个人信息（需 item.unmask 权限）' })),
          purpose: text('查阅目的（记入日志）', 200),
        }),
        response: {
          200: SearchResultSchema,
          400: ErrorResponseSchema,
          401: ErrorResponseSchema,
          403: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { unmask, purpose, ...query } = request.query;
      return search(db, query, {
        access: await accessOf(request, db, { unmask, purpose }),
        actor: requestActor(request),
        catchUp: CATCH_UP_ON_SEARCH,
      });
    },
  );
};
