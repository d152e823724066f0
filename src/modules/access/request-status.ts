// 查阅申请 statuses as people read them; `expired` is an approved request whose time has run out.
// The server's messages, the CLI and the console (through GET /vocabulary) all name them from here.
export const REQUEST_STATUS_NAMES = {
  pending: '待审批',
  approved: '已批准',
  expired: '已到期',
  rejected: '已驳回',
  withdrawn: '已撤回',
  revoked: '已收回',
} as const;
