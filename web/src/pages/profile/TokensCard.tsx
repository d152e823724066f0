import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useAuth } from '../../app/auth';
import { asApiError, showFieldErrors, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';

// 接口令牌: tokens a business system uses to push archives on the holder's behalf, with some of the
// holder's own permissions and an end date. The server shows a token once; it keeps only its hash.

type Token = ResponseOf<'/api/v1/auth/tokens', 'get'>['tokens'][number];
/** POST /auth/tokens answers without a declared schema: this is what the route sends. */
interface CreatedToken {
  token: string;
  id: string;
  expiresAt: string;
  permissions: string[];
}

interface Values {
  name: string;
  permissions: string[];
  days: number;
}

const time = (iso: string | null) => beijingText(iso, 'minute');

function state(token: Token) {
  if (token.revokedAt) return <Tag>已撤销</Tag>;
  if (dayjs(token.expiresAt).isBefore(dayjs())) return <Tag>已过期</Tag>;
  return <Tag color="success">有效</Tag>;
}

export function TokensCard({ permissionNames }: { permissionNames: Record<string, string> }) {
  const { message } = App.useApp();
  const { user } = useAuth();
  const tokens = useRequest(() => unwrap(api.GET('/api/v1/auth/tokens')), []);
  const [form] = Form.useForm<Values>();
  const [creating, setCreating] = useState(false);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<CreatedToken>();
  const name = (permission: string) => permissionNames[permission] ?? permission;

  const create = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      const answer = (await unwrap(
        api.POST('/api/v1/auth/tokens', { body: { ...values, name: values.name.trim() } }),
      )) as CreatedToken;
      setCreating(false);
      setCreated(answer);
      tokens.reload();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  const revoke = async (token: Token) => {
    try {
      await unwrap(api.DELETE('/api/v1/auth/tokens/{id}', { params: { path: { id: token.id } } }));
      message.success(`令牌“${token.name}”已撤销`);
      tokens.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    }
  };

  const columns: ColumnsType<Token> = [
    { title: '名称', dataIndex: 'name' },
    { title: '编号', dataIndex: 'id', width: 150 },
    {
      title: '权限',
      dataIndex: 'permissions',
      render: (permissions: string[]) =>
        permissions.map((permission) => <Tag key={permission}>{name(permission)}</Tag>),
    },
    { title: '创建时间', dataIndex: 'createdAt', width: 140, render: time },
    { title: '到期时间', dataIndex: 'expiresAt', width: 140, render: time },
    { title: '最近使用', dataIndex: 'lastUsedAt', width: 140, render: time },
    { title: '状态', key: 'state', width: 80, render: (_, token) => state(token) },
    {
      title: '操作',
      key: 'actions',
      width: 80,
      render: (_, token) =>
        !token.revokedAt && (
          <Popconfirm
            title={`撤销令牌“${token.name}”？`}
            description="撤销后使用它的系统将立即无法调用接口"
            okText="撤销"
            okButtonProps={{ danger: true }}
            cancelText="取消"
            onConfirm={() => revoke(token)}
          >
            <Button size="small" danger>
              撤销
            </Button>
          </Popconfirm>
        ),
    },
  ];

  return (
    <Card
      title="接口令牌"
      extra={
        <Button type="primary" onClick={() => setCreating(true)}>
          创建令牌
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">
        供业务系统以您的名义调用接口（如推送待归档材料）。令牌只能具有您本人拥有的权限。
      </Typography.Paragraph>
      {tokens.error && (
        <Alert type="error" showIcon title={tokens.error.message} style={{ marginBottom: 16 }} />
      )}
      <Table<Token>
        rowKey="id"
        size="small"
        loading={tokens.loading}
        columns={columns}
        dataSource={tokens.data?.tokens ?? []}
        pagination={false}
        locale={{ emptyText: '还没有接口令牌' }}
        scroll={{ x: 1000 }}
      />
      <Modal
        title="创建接口令牌"
        open={creating}
        okText="创建"
        cancelText="取消"
        confirmLoading={saving}
        onOk={() => void create()}
        onCancel={() => setCreating(false)}
        destroyOnHidden
      >
        <Form<Values>
          form={form}
          layout="vertical"
          name="create-token"
          preserve={false}
          initialValues={{ days: 90, permissions: [] }}
        >
          <Form.Item
            name="name"
            label="令牌名称"
            extra="写明调用它的业务系统，便于日后识别"
            rules={[
              { required: true, whitespace: true, message: '请为令牌命名' },
              { max: 100, message: '名称最多100个字' },
            ]}
          >
            <Input maxLength={100} placeholder="如 医保核心业务系统-归档推送" />
          </Form.Item>
          <Form.Item
            name="permissions"
            label="权限"
            rules={[{ required: true, type: 'array', min: 1, message: '令牌至少要有一项权限' }]}
          >
            <Checkbox.Group
              style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
              options={(user?.permissions ?? []).map((permission) => ({
                value: permission,
                label: name(permission),
              }))}
            />
          </Form.Item>
          <Form.Item
            name="days"
            label="有效天数"
            rules={[
              { required: true, message: '请填写有效天数' },
              { type: 'number', min: 1, max: 366, message: '有效期应为 1–366 天' },
            ]}
          >
            <InputNumber min={1} max={366} precision={0} suffix="天" />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title="令牌已创建"
        open={Boolean(created)}
        closable={false}
        mask={{ closable: false }}
        footer={
          <Button type="primary" onClick={() => setCreated(undefined)}>
            我已妥善保存
          </Button>
        }
      >
        {created && (
          <>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 16 }}
              title="令牌只显示这一次"
              description="请立即复制并保存到业务系统的配置中；关闭后无法再次查看，遗失只能撤销后重建。"
            />
            <Typography.Paragraph copyable={{ text: created.token }} code style={{ wordBreak: 'break-all' }}>
              {created.token}
            </Typography.Paragraph>
            <Typography.Text type="secondary">到期时间：{time(created.expiresAt)}</Typography.Text>
          </>
        )}
      </Modal>
    </Card>
  );
}
