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
  normal: '普通',
  sensitive: '敏感',
  restricted: '限制',
};

export const REQUEST_STATUS_NAMES: Record<string, string> = {
  pending: '待审批',
  approved: '已批准',
  rejected: '已驳回',
  revoked: '已收回',
  withdrawn: '已撤回',
  expired: '已过期',
};

export const CARRIER_NAMES: Record<string, string> = {
  paper: '纸质',
  electronic: '电子',
  hybrid: '纸电双套',
};

export const SECURITY_LEVEL_NAMES: Record<string, string> = {
  public: '公开',
  internal: '内部',
  confidential: '秘密',
  secret: '机密',
  top_secret: '绝密',
};

export const RETENTION_NAMES: Record<string, string> = {
  Y: '永久',
  D100: '定期100年',
  D50: '定期50年',
  D30: '定期30年',
  D15: '定期15年',
  D10: '定期10年',
};

/** Audit event codes (the server also answers actionLabel; this list serves the action filter). */
export const AUDIT_ACTION_NAMES: Record<string, string> = {
  'item.created': '归档',
  'sequence.advanced': '分配档号',
  'item.changed': '修改档案',
  'item.read': '查阅敏感档案',
  'item.unmasked': '查看未脱敏信息',
  'item.read_refused': '未经授权查阅敏感档案被拒',
  'search.id_lookup': '按身份证号检索',
  'item.text_recorded': '录入扫描页文字',
  'item.checked': '四性检测',
  'file.added': '挂接文件',
  'file.read': '调阅文件',
  'blob.stored': '存储文件',
  'blob.lost': '文件全部副本丢失',
  'blob.repaired': '修复副本',
  'blob.repair_failed': '副本修复失败',
  'fonds.created': '新建全宗',
  'fonds.changed': '修改全宗',
  'fonds.scan_policy_set': '设置扫描分辨率要求',
  'category.created': '新建类别',
  'category.changed': '修改类别',
  'category.removed': '删除类别',
  'retention.override_set': '调整保管期限',
  'retention.override_removed': '撤销保管期限调整',
  'fixity.run': '固定性检查',
  'integrity.verified': '完整性校验',
  'keys.rotation_started': '开始轮换密钥',
  'keys.rewrapped': '重新包装数据密钥',
  'keys.rotated': '完成密钥轮换',
  'backup.created': '备份',
  'auth.login': '登录',
  'auth.logout': '退出',
  'auth.failed': '登录失败',
  'auth.locked': '账户锁定',
  'auth.refused_locked': '锁定期间尝试登录',
  'user.created': '创建账户',
  'user.access_changed': '变更角色与范围',
  'user.disabled': '停用账户',
  'user.enabled': '启用账户',
  'user.password_changed': '重设口令',
  'user.totp_enabled': '开通动态口令',
  'user.id_number_sealed': '加密存储身份证号',
  'token.created': '创建接口令牌',
  'token.revoked': '撤销接口令牌',
  'audit.exported': '导出审计记录',
  'access.requested': '申请查阅敏感档案',
  'access.approved': '批准查阅申请',
  'access.rejected': '驳回查阅申请',
  'access.withdrawn': '撤回查阅申请',
  'access.revoked': '收回查阅授权',
  'state.baseline': '状态基线',
  'roster.loaded': '载入参保名册',
  'roster.reconciled': '核对扶贫名单',
  'roster.report_exported': '导出名单核对结果',
};

/** Groups of audit events: the API takes a code ending in a dot as the whole group. */
export const AUDIT_ACTION_GROUPS: Record<string, string> = {
  'auth.': '登录与退出（全部）',
  'access.': '查阅申请与审批（全部）',
  'user.': '账户管理（全部）',
  'item.': '档案（全部）',
  'file.': '电子文件（全部）',
  'token.': '接口令牌（全部）',
};

/** 医保扶贫 name-list reconciliation outcomes (a copy of the server's OUTCOME_NAMES, in its order). */
export const RECONCILE_OUTCOME_NAMES: Record<string, string> = {
  matched: '核对一致',
  name_homophone: '姓名同音字',
  name_typo: '姓名错别字',
  id_other_person: '身份证号属于他人',
  id_corrected: '身份证号有误（已找到本人）',
  id_ambiguous: '身份证号有误（多人相近）',
  id_unmatched: '身份证号有误（无相近人员）',
  not_in_roster: '未参保登记',
  not_enrolled: '已登记未参保',
  missing: '缺姓名或身份证号',
  duplicate: '重复行',
  out_of_scope: '不在本人范围内（未核对）',
};

/** Outcomes the sending department must correct in its own list (the server's CORRECTION_OUTCOMES). */
export const RECONCILE_CORRECTION_OUTCOMES: readonly string[] = [
  'name_homophone',
  'name_typo',
  'id_other_person',
  'id_corrected',
  'id_ambiguous',
  'id_unmatched',
  'missing',
  'duplicate',
];

/** The workbooks of a reconciliation run, by the kind in their address (the server's REPORT_NAMES). */
export const RECONCILE_REPORT_NAMES: Record<string, string> = {
  corrections: '返回更正清单',
  'follow-ups': '参保缴费待办清单',
  summary: '名单核对汇总',
};

/** Ledger kinds (the server's LEDGER_KINDS). */
export const LEDGER_KIND_NAMES: Record<string, string> = {
  enrollment: '参保台账',
  dynamic: '动态台账',
  benefits: '待遇享受台账',
  chronic: '慢病台账',
  'two-disease': '两病台账',
};
