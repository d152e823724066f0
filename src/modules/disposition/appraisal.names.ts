// Coded values of appraisal with the names people read (the console takes them from the vocabulary).

export const ROUND_STATES = { open: '鉴定中', closed: '已结束' } as const;
export const APPRAISAL_CHOICES = { keep: '继续保存', destroy: '销毁' } as const;
export const DECISION_STATES = { undecided: '待定', keep: '继续保存', destroy: '销毁' } as const;
export const EXPIRY_STATES = {
  due: '已到期待鉴定',
  in_round: '鉴定中',
  decided: '已作出鉴定结论',
  on_register: '已列入销毁清册',
  destroyed: '已销毁',
} as const;
