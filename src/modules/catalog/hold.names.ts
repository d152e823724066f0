import type { HoldSelectorKind, HoldSource } from './hold.tables.js';

// The words of legal holds (冻结) people read: the CLI and (through GET /api/v1/vocabulary) the
// console take them from here.

export const HOLD_SELECTOR_KINDS: Record<HoldSelectorKind, string> = {
  items: '指定档案',
  query: '按条件',
  category_year: '按类别和年度',
};

export const HOLD_STATES = { active: '冻结中', lifted: '已解除' } as const;
export type HoldState = keyof typeof HOLD_STATES;

export const HOLD_SOURCES: Record<HoldSource, string> = { manual: '人工冻结', case: '监督案件' };

/** The query selector's fields and their names (fonds is always given and is not one of them). */
export const HOLD_QUERY_FIELDS = {
  category: '类别',
  year: '年度',
  idNumber: '参保人身份证号',
  insuredNumber: '参保人编号',
  org: '机构/问题代码',
  institution: '定点机构编码',
  businessType: '业务类型',
} as const;
export type HoldQueryField = keyof typeof HOLD_QUERY_FIELDS;

export const isHoldSelectorKind = (value: string): value is HoldSelectorKind =>
  Object.hasOwn(HOLD_SELECTOR_KINDS, value);
