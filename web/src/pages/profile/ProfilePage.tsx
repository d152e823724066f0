import { Card, Col, Descriptions, Row, Space, Tag, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RoleTags, scopeText } from '../admin/userView';
import { TokensCard } from './TokensCard';
import { TotpCard } from './TotpCard';

// 我的账户: who the user is to the system (roles, permissions in words, scope), the second factor,
// and their API tokens when their roles allow them.

const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditor'];

export default function ProfilePage() {
  const { can } = useAuth();
  const me = useRequest(() => unwrap(api.GET('/api/v1/auth/me')), []);
  const names = useRequest(() => unwrap(api.GET('/api/v1/permissions')), []);
  const permissionNames: Record<string, string> = names.data?.permissions ?? {};
  const user = me.data;

  return (
    <>
      <Typography.Title level={3}>我的账户</Typography.Title>
      <ErrorNotice error={me.error} retry={me.reload} />
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <Card title="账户信息" loading={me.loading && !user} style={{ height: '100%' }}>
              {user && (
                <Descriptions column={1} size="small">
                  <Descriptions.Item label="用户名">{user.username}</Descriptions.Item>
                  <Descriptions.Item label="姓名">{user.displayName}</Descriptions.Item>
                  <Descriptions.Item label="角色">
                    <RoleTags roles={user.roles} />
                  </Descriptions.Item>
                  <Descriptions.Item label="权限">
                    <Space size={[4, 4]} wrap>
                      {user.permissions.map((permission) => (
                        <Tag key={permission} title={permission}>
                          {permissionNames[permission] ?? permission}
                        </Tag>
                      ))}
                    </Space>
                  </Descriptions.Item>
                  <Descriptions.Item label="档案范围">
                    {user.scope.length > 0 ? (
                      <Space orientation="vertical" size={0}>
                        {user.scope.map((row) => (
                          <span key={`${row.fondsCode}/${row.regionCode}/${row.categoryCode}`}>
                            {scopeText(row)}
                          </span>
                        ))}
                      </Space>
                    ) : (
                      <Typography.Text type="secondary">
                        {user.roles.every((role) => ADMIN_ROLES.includes(role))
                          ? '不接触档案内容（三员分立）'
                          : '未设定（请联系安全保密员授权）'}
                      </Typography.Text>
                    )}
                  </Descriptions.Item>
                </Descriptions>
              )}
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <TotpCard />
          </Col>
        </Row>
        {can('token.own') && <TokensCard permissionNames={permissionNames} />}
      </Space>
    </>
  );
}
