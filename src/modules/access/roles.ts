import { invalid } from '../../shared/errors.js';

// Roles (角色) and what each may do. The three administrative roles are separated (三员分立): an
// account holds at most one of them, none of them reads archive content, and none does another's duty.

export const ROLES = {
  clerk: '经办人员',
  reviewer: '审核人员',
  archivist: '档案员',
  manager: '管理人员',
  insured: '参保人',
  supervisor: '基金监管人员',
  sysadmin: '系统管理员',
  secadmin: '安全保密员',
  auditor: '安全审计员',
} as const;

export type Role = keyof typeof ROLES;

export const ADMIN_ROLES: readonly Role[] = ['sysadmin', 'secadmin', 'auditor'];

export const PERMISSIONS = {
  'item.create': '归档',
  'item.read': '查阅档案',
  'item.update': '修改档案',
  'item.unmask': '查看未脱敏的个人信息',
  'file.add': '挂接电子文件',
  'file.read': '查阅电子文件',
  'scan.qc': '数字化质检（抽检、判定批次）',
  'catalog.read': '查看全宗、分类与保管期限',
  'catalog.manage': '维护全宗、分类与保管期限',
  'storage.manage': '固定性检查、密钥与备份',
  'integrity.read': '查看事件日志与证明',
  'integrity.sign': '签发检查点',
  'user.manage': '管理账户',
  'access.grant': '授予角色与范围、审批敏感档案查阅',
  'item.declassify': '降低档案的敏感级别或密级',
  'audit.read': '查阅审计记录',
  'token.own': '为自己创建接口令牌',
  'poverty.work': '医保扶贫：核对名单、编制台账',
  'loan.request': '申请借阅档案',
  'loan.approve': '审批借阅申请',
  'loan.handle': '借阅出库、归还与逾期管理',
  'loan.rules': '维护借阅规则',
  'use.stats': '查看利用登记与统计',
  'hold.manage': '冻结与解除冻结',
  'appraisal.work': '档案鉴定（提出与作出鉴定意见）',
  'destruction.approve': '审批销毁清册',
  'destruction.witness': '监销',
  'destruction.carry': '执行销毁、确认纸质销毁',
  'transfer.manage': '编制、导出移交批次与登记回执',
  'transfer.receive': '接收进馆',
  'fund.read': '查看结算数据、审核线索、异常与预测',
  'fund.import': '导入与推送结算数据',
  'fund.rules': '维护智能审核规则、运行审核',
  'case.work': '核查案件（立案、核查、结论、结案）',
  'kpi.read': '查看考核指标',
} as const;

export type Permission = keyof typeof PERMISSIONS;

const BUSINESS_READ: Permission[] = ['item.read', 'file.read', 'catalog.read'];

/** What each role may do; scope (fonds, region, category) narrows the archive permissions further. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  clerk: [...BUSINESS_READ, 'item.create', 'file.add', 'token.own', 'poverty.work', 'loan.request'],
  reviewer: [
    ...BUSINESS_READ,
    'item.update',
    'item.unmask',
    'scan.qc',
    'poverty.work',
    'loan.request',
    'appraisal.work',
    'destruction.witness',
  ],
  archivist: [
    ...BUSINESS_READ,
    'item.create',
    'item.update',
    'item.unmask',
    'file.add',
    'scan.qc',
    'catalog.manage',
    'integrity.read',
    'poverty.work',
    'loan.request',
    'loan.approve',
    'loan.handle',
    'loan.rules',
    'use.stats',
    'hold.manage',
    'appraisal.work',
    'destruction.witness',
    'destruction.carry',
    'transfer.manage',
    'transfer.receive',
    'kpi.read',
  ],
  manager: [
    'item.read',
    'catalog.read',
    'loan.request',
    'loan.approve',
    'use.stats',
    'appraisal.work',
    'destruction.approve',
    'destruction.witness',
    'fund.read',
    'kpi.read',
  ],
  // 基金监管: the settlement data and its audit; the archives behind a settlement read under the usual
  // scope and grants, sensitive ones masked unless unmasked with a purpose.
  supervisor: [
    ...BUSINESS_READ,
    'item.unmask',
    'loan.request',
    'hold.manage',
    'fund.read',
    'fund.import',
    'fund.rules',
    'case.work',
    'kpi.read',
  ],
  // Their own records: shown to them in full.
  insured: ['item.read', 'item.unmask', 'file.read'],
  sysadmin: ['user.manage', 'catalog.read', 'catalog.manage', 'storage.manage', 'integrity.sign'],
  // Lowering an item's sensitivity or 密级 opens it to more people: a decision of the 安全保密员 alone.
  secadmin: ['access.grant', 'item.declassify', 'catalog.read'],
  // A hold names items by query and never shows their content, so the auditor may place and lift one.
  auditor: ['audit.read', 'integrity.read', 'hold.manage'],
};

/** Permissions that touch archive content; no administrative role may hold one. */
export const CONTENT_PERMISSIONS: readonly Permission[] = [
  'item.unmask',
  'item.create',
  'item.read',
  'item.update',
  'file.add',
  'file.read',
  'scan.qc',
  'poverty.work',
  'loan.request',
  'loan.approve',
  'loan.handle',
  'use.stats',
  'appraisal.work',
  'destruction.approve',
  'destruction.witness',
  'destruction.carry',
  'transfer.manage',
  'transfer.receive',
  'fund.read',
  'fund.import',
  'fund.rules',
  'case.work',
];

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLES, value);
}

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  return new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role]));
}

/** Checks a set of roles for one account: known, and at most one administrative role, held alone (none is allowed: an account waiting for its grant). */
export function checkRoles(raw: readonly string[]): Role[] {
  const roles = [...new Set(raw.map((role) => role.trim()).filter(Boolean))];
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0)
    throw invalid(
      'ROLE_UNKNOWN',
      `未知角色：${unknown.join('、').slice(0, 100)}（可用：${Object.keys(ROLES).join('、')}）`,
    );
  const admin = roles.filter((role) => ADMIN_ROLES.includes(role as Role));
  if (admin.length > 1)
    throw invalid(
      'ROLES_SEPARATED',
      `三员分立：一个账户不能同时担任${admin.map((role) => ROLES[role as Role]).join('和')}`,
    );
  if (admin.length === 1 && roles.length > 1)
    throw invalid(
      'ROLES_SEPARATED',
      `三员分立：${ROLES[admin[0] as Role]}账户不能兼任业务角色（不得接触档案内容）`,
    );
  return roles as Role[];
}

export const roleNames = (roles: readonly Role[]) => roles.map((role) => ROLES[role]).join('、');
