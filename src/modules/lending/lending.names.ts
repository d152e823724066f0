import type { LoanKind, LoanState, ReturnCondition } from './lending.tables.js';

// The words of lending people read: the CLI and (through GET /api/v1/vocabulary) the console take
// them from here.

export const LOAN_KINDS: Record<LoanKind, string> = {
  paper: '实体借出',
  electronic: '电子阅览',
  copy: '复制',
};

export const LOAN_STATES: Record<LoanState, string> = {
  requested: '待审批',
  approved: '已批准',
  rejected: '已驳回',
  withdrawn: '已撤回',
  on_loan: '在借',
  closed: '已完结',
};

export const RETURN_CONDITIONS: Record<ReturnCondition, string> = {
  intact: '完好',
  damaged: '破损',
  pages_missing: '缺页',
};

/** A loan's state as shown: an electronic loan past its due date reads 已到期 while still open. */
export const LOAN_SHOWN_STATES = { ...LOAN_STATES, expired: '已到期', level1: '一级已批' } as const;

export const isLoanKind = (value: string): value is LoanKind => Object.hasOwn(LOAN_KINDS, value);
export const isReturnCondition = (value: string): value is ReturnCondition =>
  Object.hasOwn(RETURN_CONDITIONS, value);
