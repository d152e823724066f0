import { Alert, App, Button, Card, Form, Input, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CreateUserModal } from './CreateUserModal';
import { GrantAccessModal } from './GrantAccessModal';
import { RoleTags, ScopeList, type UserView } from './userView';

// 用户与角色. 三员分立: the 系统管理员 (user.manage) creates, disables and enables accounts; the
// 安全保密员 (access.grant) grants business roles and scope. Each sees only their own controls.

function StatusTags({ user }: { user: UserView }) {
  return (
    <Space size={4} wrap>
      {user.disabled ? <Tag color="default">已停用</Tag> : <Tag color="success">正常</Tag>}
      {user.locked && <Tag color="error">已锁定</Tag>}
    </Space>
  );
}

function userColumns(): ColumnsType<UserView> {
  return [
    {
      title: '用户名',
      dataIndex: 'username',
      width: 140,
      sorter: (a, b) => a.username.localeCompare(b.username),
    },
    { title: '姓名', dataIndex: 'displayName', width: 110 },
    { title: '角色', key: 'roles', render: (_, user) => <RoleTags roles={user.roles} /> },
    { title: '范围', key: 'scope', render: (_, user) => <ScopeList scope={user.scope} roles={user.roles} /> },
    { title: '状态', key: 'status', width: 100, render: (_, user) => <StatusTags user={user} /> },
    {
      title: '动态口令',
      dataIndex: 'totpEnabled',
      width: 90,
      render: (enabled: boolean) => (enabled ? <Tag color="blue">已开通</Tag> : <Tag>未开通</Tag>),
    },
    {
      title: '创建',
      key: 'created',
      width: 150,
      render: (_, user) => (
        <>
          {beijingText(user.createdAt, 'minute')}
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {user.createdBy}
          </Typography.Text>
        </>
      ),
    },
  ];
}

/** The 系统管理员's view: every account, 新建账户, 停用/启用. */
function AccountList({ canGrant }: { canGrant: boolean }) {
  const { message } = App.useApp();
  const { user: me } = useAuth();
  const users = useRequest(() => unwrap(api.GET('/api/v1/users')), []);
  const [creating, setCreating] = useState(false);
  const [granting, setGranting] = useState<UserView>();
  const [busy, setBusy] = useState<string>();

  const toggle = async (user: UserView) => {
    setBusy(user.username);
    try {
      const path = { params: { path: { username: user.username } } };
      if (user.disabled) await unwrap(api.POST('/api/v1/users/{username}/enable', path));
      else await unwrap(api.POST('/api/v1/users/{username}/disable', path));
      message.success(`已${user.disabled ? '启用' : '停用'}账户 ${user.username}`);
      users.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(undefined);
    }
  };

  const columns: ColumnsType<UserView> = [
    ...userColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 140,
      render: (_, user) => (
        <Space>
          {user.username !== me?.username && (
            <Popconfirm
              title={`${user.disabled ? '启用' : '停用'}账户 ${user.username}？`}
              description={user.disabled ? '启用后可重新登录' : '停用后立即退出登录，令牌失效'}
              okText={user.disabled ? '启用' : '停用'}
              cancelText="取消"
              onConfirm={() => toggle(user)}
            >
              <Button size="small" danger={!user.disabled} loading={busy === user.username}>
                {user.disabled ? '启用' : '停用'}
              </Button>
            </Popconfirm>
          )}
          {canGrant && (
            <Button size="small" onClick={() => setGranting(user)}>
              授权
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setCreating(true)}>
          新建账户
        </Button>
        <Typography.Text type="secondary">新账户的角色与范围由安全保密员授予。</Typography.Text>
      </Space>
      <ErrorNotice error={users.error} retry={users.reload} />
      <Table<UserView>
        rowKey="username"
        size="middle"
        loading={users.loading}
        columns={columns}
        dataSource={users.data?.users ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
      {creating && <CreateUserModal onClose={() => setCreating(false)} onCreated={() => users.reload()} />}
      {granting && (
        <GrantAccessModal
          username={granting.username}
          current={granting}
          onClose={() => setGranting(undefined)}
          onDone={() => users.reload()}
        />
      )}
    </>
  );
}

/**
 * The 安全保密员's view. The API lists accounts only to user.manage, so the 保密员 names the account
 * and sets its roles and scope in full; what was set in this visit is listed below.
 */
function GrantByName() {
  const [form] = Form.useForm<{ username: string }>();
  const [granting, setGranting] = useState<string>();
  const [done, setDone] = useState<UserView[]>([]);
  return (
    <>
      <Card title="为账户授权" style={{ marginBottom: 16 }}>
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title="授予业务角色与档案范围"
          description="输入系统管理员创建的账户的用户名，设定其业务角色与范围（将替换原有设置）。三员角色只能在服务器上用 yidang user access 命令分配。"
        />
        <Form
          form={form}
          layout="inline"
          name="grant-by-name"
          onFinish={(values) => setGranting(values.username.trim().toLowerCase())}
        >
          <Form.Item
            name="username"
            label="用户名"
            rules={[{ required: true, whitespace: true, message: '请填写要授权的用户名' }]}
          >
            <Input maxLength={64} autoComplete="off" />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              设定角色与范围
            </Button>
          </Form.Item>
        </Form>
      </Card>
      {done.length > 0 && (
        <Card title="本次已授权的账户">
          <Table<UserView>
            rowKey="username"
            size="small"
            columns={userColumns()}
            dataSource={done}
            pagination={false}
          />
        </Card>
      )}
      {granting && (
        <GrantAccessModal
          username={granting}
          onClose={() => setGranting(undefined)}
          onDone={(user) => {
            setDone((list) => [user, ...list.filter((row) => row.username !== user.username)]);
            form.resetFields();
          }}
        />
      )}
    </>
  );
}

export default function UsersPage() {
  const { can } = useAuth();
  return (
    <>
      <Typography.Title level={3}>用户与角色</Typography.Title>
      {can('user.manage') ? (
        <AccountList canGrant={can('access.grant')} />
      ) : (
        can('access.grant') && <GrantByName />
      )}
    </>
  );
}
