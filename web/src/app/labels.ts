// Chinese names for the API's codes, shared by the pages.

export const ROLE_NAMES: Record<string, string> = {
  clerk: '经办人员',
  reviewer: '审核人员',
  archivist: '档案员',
  manager: '管理人员',
  insured: '参保人',
  sysadmin: '系统管理员',
  secadmin: '安全保密员',
  auditor: '安全审计员',
};

export const SENSITIVITY_NAMES: Record<string, string> = {
  normal: '一般',
  sensitive: '敏感',
};

export const REQUEST_STATUS_NAMES: Record<string, string> = {
  pending: '待审批',
  approved: '已批准',
  rejected: '已驳回',
  revoked: '已收回',
  withdrawn: '已撤回',
  expired: '已过期',
};
