import {
  AuditOutlined,
  BarChartOutlined,
  BellOutlined,
  CheckSquareOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  FolderOpenOutlined,
  FundOutlined,
  HourglassOutlined,
  ReadOutlined,
  SearchOutlined,
  SendOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import type { ReactNode } from 'react';

// The console's sections. A section is offered only to a user holding one of its permissions;
// the server refuses the same calls anyway.

export interface NavEntry {
  path: string;
  label: string;
  icon?: ReactNode;
  anyOf: string[];
  children?: NavEntry[];
}

export const NAV: NavEntry[] = [
  { path: '/', label: '首页', icon: <DashboardOutlined />, anyOf: [] },
  { path: '/items', label: '档案管理', icon: <FolderOpenOutlined />, anyOf: ['item.read'] },
  { path: '/search', label: '检索', icon: <SearchOutlined />, anyOf: ['item.read'] },
  {
    path: '/filing',
    label: '归档/导入',
    icon: <CloudUploadOutlined />,
    anyOf: ['item.create', 'file.add', 'scan.qc'],
    children: [
      { path: '/filing/new', label: '著录归档', anyOf: ['item.create'] },
      { path: '/filing/import', label: '批量导入', anyOf: ['item.create'] },
      { path: '/filing/scans', label: '扫描与质检', anyOf: ['file.add', 'scan.qc'] },
    ],
  },
  { path: '/poverty', label: '医保扶贫', icon: <TeamOutlined />, anyOf: ['poverty.work'] },
  { path: '/approvals', label: '审批', icon: <CheckSquareOutlined />, anyOf: ['item.read', 'access.grant'] },
  {
    path: '/lending',
    label: '借阅',
    icon: <ReadOutlined />,
    anyOf: ['loan.request', 'loan.approve', 'loan.handle'],
    children: [
      { path: '/lending/new', label: '借阅申请', anyOf: ['loan.request'] },
      { path: '/lending/mine', label: '我的借阅', anyOf: ['loan.request'] },
      { path: '/lending/approvals', label: '借阅审批', anyOf: ['loan.approve'] },
      { path: '/lending/desk', label: '出库与归还', anyOf: ['loan.handle'] },
      { path: '/lending/overdue', label: '逾期', anyOf: ['loan.handle'] },
    ],
  },
  {
    path: '/disposition',
    label: '鉴定与处置',
    icon: <HourglassOutlined />,
    anyOf: [
      'appraisal.work',
      'destruction.approve',
      'destruction.witness',
      'destruction.carry',
      'hold.manage',
    ],
    children: [
      { path: '/disposition/expiry', label: '到期档案', anyOf: ['appraisal.work'] },
      { path: '/disposition/rounds', label: '鉴定批次', anyOf: ['appraisal.work'] },
      {
        path: '/disposition/registers',
        label: '销毁清册',
        anyOf: ['appraisal.work', 'destruction.approve', 'destruction.witness', 'destruction.carry'],
      },
      { path: '/disposition/holds', label: '冻结', anyOf: ['hold.manage'] },
    ],
  },
  {
    path: '/transfer',
    label: '移交与接收',
    icon: <SendOutlined />,
    anyOf: ['transfer.manage', 'transfer.receive'],
    children: [
      { path: '/transfer/batches', label: '移交', anyOf: ['transfer.manage'] },
      { path: '/transfer/received', label: '接收', anyOf: ['transfer.receive'] },
    ],
  },
  {
    // 基金监管 (issue 27): each part appends its own entry below, one line each.
    path: '/fund',
    label: '基金监管',
    icon: <FundOutlined />,
    anyOf: ['fund.read', 'fund.import', 'fund.rules', 'case.work', 'kpi.read'],
    children: [
      { path: '/fund/settlements', label: '结算数据', anyOf: ['fund.read'] },
      { path: '/fund/rules', label: '规则与线索', anyOf: ['fund.read'] },
      { path: '/fund/cases', label: '核查案件', anyOf: ['fund.read'] },
      { path: '/fund/anomalies', label: '异常机构', anyOf: ['fund.read'] },
      { path: '/fund/forecasts', label: '趋势预测', anyOf: ['fund.read'] },
      { path: '/fund/kpi', label: '考核指标', anyOf: ['kpi.read'] },
    ],
  },
  { path: '/use', label: '利用统计', icon: <BarChartOutlined />, anyOf: ['use.stats', 'loan.request'] },
  { path: '/audit', label: '审计', icon: <AuditOutlined />, anyOf: ['audit.read'] },
  {
    path: '/admin',
    label: '系统管理',
    icon: <SettingOutlined />,
    anyOf: ['user.manage', 'access.grant', 'catalog.manage', 'storage.manage'],
    children: [
      { path: '/admin/users', label: '用户与角色', anyOf: ['user.manage', 'access.grant'] },
      { path: '/admin/categories', label: '分类方案', anyOf: ['catalog.manage'] },
      { path: '/admin/retention', label: '保管期限表', anyOf: ['catalog.manage'] },
      { path: '/admin/fonds', label: '全宗与档号规则', anyOf: ['catalog.manage'] },
      { path: '/admin/system', label: '副本与密钥', anyOf: ['storage.manage'] },
    ],
  },
  { path: '/notices', label: '站内通知', icon: <BellOutlined />, anyOf: [] },
  // Everyone's own page; listed so the sidebar marks it like any other (the header links it too).
  { path: '/profile', label: '我的账户', icon: <UserOutlined />, anyOf: [] },
];

export function allowed(entry: NavEntry, can: (permission: string) => boolean): boolean {
  return entry.anyOf.length === 0 || entry.anyOf.some(can);
}

/**
 * The menu entry a path belongs to: the longest entry path it equals or lies under
 * (/items/J013-… marks 档案管理), never a section heading; none for an unknown path.
 */
export function selectedEntry(pathname: string): NavEntry | undefined {
  const under = (path: string) => pathname === path || (path !== '/' && pathname.startsWith(`${path}/`));
  return NAV.flatMap((entry) => entry.children ?? [entry])
    .filter((entry) => under(entry.path))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

/** The section (submenu) holding an entry, to be open while the entry is shown. */
export function sectionOf(entry: NavEntry | undefined): string | undefined {
  return NAV.find((section) => section.children?.includes(entry as NavEntry))?.path;
}
