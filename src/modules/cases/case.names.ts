import type { CaseConclusion, CaseSource, CaseState } from './case.tables.js';

// The words of 核查案件 people read: the CLI and (through GET /api/v1/vocabulary) the console.

export const CASE_STATES: Record<CaseState, string> = {
  open: '立案',
  examining: '核查中',
  concluded: '已结论',
  closed: '已结案',
};

export const CASE_SOURCES: Record<CaseSource, string> = { clue: '线索', manual: '人工立案' };

export const CASE_CONCLUSIONS: Record<CaseConclusion, string> = {
  violation: '违规',
  no_violation: '不违规',
};

/** The category a closed case's file (核查档案) is filed in: 稽核, kept 30 years. */
export const CASE_FILE_CATEGORY = 'JGJH';

export const isCaseState = (value: string): value is CaseState => Object.hasOwn(CASE_STATES, value);
export const isCaseConclusion = (value: string): value is CaseConclusion =>
  Object.hasOwn(CASE_CONCLUSIONS, value);
