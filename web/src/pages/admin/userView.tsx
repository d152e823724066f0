import { Space, Tag, Typography } from 'antd';
import type { ResponseOf } from '../../api/types';
import { ROLE_NAMES } from '../../app/labels';

// How accounts, their roles and their scope are shown on the admin pages.

export type UserView = ResponseOf<'/api/v1/users', 'get'>['users'][number];
export type ScopeRow = UserView['scope'][number];

/** The business roles a 安全保密员 may grant; the three admin roles are assigned on the server only. */
export const BUSINESS_ROLES = ['clerk', 'reviewer', 'archivist', 'manager', 'insured'] as const;
export const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditor'];

export function scopeText(row: ScopeRow): string {
  return [
    row.fondsCode ? `全宗 ${row.fondsCode}` : '全部全宗',
    row.regionCode ? `统筹区 ${row.regionCode}` : '全部地区',
    row.categoryCode ? `类别 ${row.categoryCode}` : '全部类别',
  ].join(' / ');
}

export function RoleTags({ roles }: { roles: string[] }) {
  if (roles.length === 0) return <Typography.Text type="secondary">未授予角色</Typography.Text>;
  return (
    <Space size={4} wrap>
      {roles.map((role) => (
        <Tag key={role} color={ADMIN_ROLES.includes(role) ? 'purple' : 'blue'}>
          {ROLE_NAMES[role] ?? role}
        </Tag>
      ))}
    </Space>
  );
}

export function ScopeList({ scope, roles }: { scope: ScopeRow[]; roles: string[] }) {
  if (scope.length === 0)
    return (
      <Typography.Text type="secondary">
        {roles.some((role) => !ADMIN_ROLES.includes(role)) ? '未设定（看不到任何档案）' : '—'}
      </Typography.Text>
    );
  return (
    <Space orientation="vertical" size={0}>
      {scope.map((row) => (
        <Typography.Text key={`${row.fondsCode}/${row.regionCode}/${row.categoryCode}`}>
          {scopeText(row)}
        </Typography.Text>
      ))}
    </Space>
  );
}
