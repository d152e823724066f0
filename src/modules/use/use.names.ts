import type { UseEffect, UseKind } from './use.tables.js';

// The names of the register's coded values (the console reads them through GET /vocabulary).

/** 利用方式. */
export const USE_KIND_NAMES: Record<UseKind, string> = {
  paper: '实体借出',
  electronic: '电子阅览',
  copy: '复制',
  query: '查询答复',
};

/** 利用效果, recorded afterwards by the borrower or an archivist. */
export const USE_EFFECT_NAMES: Record<UseEffect, string> = {
  voucher: '凭证作用',
  rights: '维权',
  audit: '审计',
  compilation: '编研',
  other: '其他',
};

/** What an insured person's query answered was about (insured.query_answered's kind). */
export const QUERY_DETAIL_NAMES: Record<string, string> = {
  archives: '本人档案',
  views: '查看记录',
  records: '参保与缴费记录',
  copies: '复制件',
};

export const USE_KINDS = Object.keys(USE_KIND_NAMES) as UseKind[];
export const USE_EFFECTS = Object.keys(USE_EFFECT_NAMES) as UseEffect[];
