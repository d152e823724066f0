import type { RegisterState, RowState, SignRole } from './destruction.tables.js';

// The coded values of destruction registers with their Chinese names (the console and CLI read them).

export const REGISTER_STATES: Readonly<Record<RegisterState, string>> = {
  drawn: '已编制，待审批',
  approved: '已批准，待执行',
  carrying: '正在执行销毁',
  carried: '已销毁，待归档',
  filed: '已销毁并归档',
  withdrawn: '已撤销',
};

export const ROW_STATES: Readonly<Record<RowState | 'paper_confirmed' | 'paper_pending', string>> = {
  pending: '待销毁',
  shredding: '销毁中（待副本确认）',
  destroyed: '已销毁',
  paper_pending: '待确认纸质销毁',
  paper_confirmed: '纸质已销毁',
  refused: '未销毁（执行时被拒）',
};

export const SIGN_ROLES: Readonly<Record<SignRole, string>> = {
  lead: '鉴定组组长',
  approver: '审批人',
  witness: '监销人',
};

/** Why an item cannot be destroyed (per item, at drawing and again at carrying out). */
export const REFUSAL_REASONS = {
  not_expired: '保管期限未满',
  permanent: '永久保管',
  held: '已被冻结',
  on_loan: '正在借阅或有未结借阅申请',
  on_register: '已列入另一份未完成的销毁清册',
  changed: '编制清册后保管期限、类别或内容已变更，须重新编制清册',
  destroyed: '已销毁',
  not_found: '档案不存在或不在本人范围内',
  files_changed: '编制清册后档案的文件已变更，须重新编制清册',
  transferred: '已移交，在保留期内只读保存',
  on_transfer: '已列入未完成的移交批次',
} as const;
export type RefusalReason = keyof typeof REFUSAL_REASONS;

export const PAPER_METHODS = ['粉碎', '化浆', '焚烧'] as const;

export const DESTRUCTION_CARRY_JOB = 'destruction.carry';

/** Whether the item has paper to destroy physically (paper, or 纸电双套). */
export const isPaper = (row: { carrier: string }) => row.carrier === 'paper' || row.carrier === 'hybrid';
