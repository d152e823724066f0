import { type Static, Type } from '@sinclair/typebox';
import { MAX_QUERY_LENGTH } from '../search/query.js';

// Saved searches (检索方案): the search expression and the filter parameters of GET /search, kept
// under a name of the user's choosing.

export const MAX_NAME_LENGTH = 40;
export const MAX_SAVED_SEARCHES = 50;

const text = (description: string, maxLength = 100) => Type.Optional(Type.String({ description, maxLength }));

/** The filter parameters of GET /search, with the same names and limits. */
export const SearchFiltersSchema = Type.Object(
  {
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
      Type.Union([Type.Literal('relevance'), Type.Literal('date')], {
        description: '排序：relevance 相关度，date 日期',
      }),
    ),
  },
  { additionalProperties: false, description: '检索的筛选条件，与 GET /search 的同名参数相同' },
);
export type SearchFilters = Static<typeof SearchFiltersSchema>;

export const SavedSearchBodySchema = Type.Object(
  {
    query: Type.String({ maxLength: MAX_QUERY_LENGTH * 4, description: '检索式（可为空，只用筛选条件）' }),
    filters: Type.Optional(SearchFiltersSchema),
  },
  { additionalProperties: false },
);

export const SavedSearchNameParams = Type.Object({
  name: Type.String({ description: `方案名称（1–${MAX_NAME_LENGTH} 个字符，URL 编码）`, maxLength: 400 }),
});

export const SavedSearchSchema = Type.Object({
  name: Type.String({ description: '方案名称' }),
  query: Type.String({ description: '检索式' }),
  filters: SearchFiltersSchema,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type SavedSearch = Static<typeof SavedSearchSchema>;
