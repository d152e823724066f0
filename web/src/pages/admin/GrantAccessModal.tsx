import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Checkbox, Col, Form, Input, Modal, Row, Select, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { ROLE_NAMES } from '../../app/labels';
import { ADMIN_ROLES, BUSINESS_ROLES, type ScopeRow, type UserView } from './userView';

// 授权 (安全保密员): sets an account's business roles and the archive scope they apply to. Both
// replace what the account had. The three admin roles are assigned only on the server.

interface ScopeValues {
  fonds?: string;
  region?: string;
  category?: string;
}

interface Values {
  roles: string[];
  scope: ScopeValues[];
}

const SCOPE_ISSUE = /^(?:body\.)?scope\[(\d+)\]\.(fonds|region|category)$/;

export function GrantAccessModal({
  username,
  current,
  onClose,
  onDone,
}: {
  username: string;
  /** The account's roles and scope when known (the 保密员 may not list accounts). */
  current?: { roles: string[]; scope: ScopeRow[] };
  onClose: () => void;
  onDone: (user: UserView) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const catalog = useRequest(
    () =>
      Promise.all([unwrap(api.GET('/api/v1/fonds')), unwrap(api.GET('/api/v1/categories'))]).then(
        ([fonds, categories]) => ({ fonds, categories }),
      ),
    [],
  );
  const adminHeld = current?.roles.filter((role) => ADMIN_ROLES.includes(role)) ?? [];
  const scope = Form.useWatch('scope', form) ?? [];

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      const user = await unwrap(
        api.PUT('/api/v1/users/{username}/access', {
          params: { path: { username } },
          body: {
            roles: values.roles ?? [],
            // An open part is left out rather than sent as null: the server coerces null to "" and
            // then refuses it as an unknown fonds, region or category.
            scope: (values.scope ?? []).map((row) => ({
              ...(row.fonds ? { fonds: row.fonds } : {}),
              ...(row.region?.trim() ? { region: row.region.trim() } : {}),
              ...(row.category ? { category: row.category } : {}),
            })),
          },
        }),
      );
      message.success(`已更新 ${username} 的角色与范围`);
      onDone(user);
      onClose();
    } catch (error) {
      const problem = asApiError(error);
      const rest: string[] = [];
      form.setFields(
        problem.issues.flatMap((issue) => {
          const match = SCOPE_ISSUE.exec(issue.field);
          if (!match) {
            rest.push(issue.message);
            return [];
          }
          return [{ name: ['scope', Number(match[1]), match[2] as string], errors: [issue.message] }];
        }) as Parameters<typeof form.setFields>[0],
      );
      message.error(
        rest.length > 0
          ? rest.join('；')
          : problem.issues.length > 0
            ? '请按提示修改标红的范围'
            : problem.message,
      );
    } finally {
      setSaving(false);
    }
  };

  // "Any fonds" is chosen, never implied: the server refuses a row with no condition at all.
  const fondsOptions = [
    { value: '*', label: '全部全宗（不限）' },
    ...(catalog.data?.fonds ?? []).map((row) => ({ value: row.code, label: `${row.code} ${row.name}` })),
  ];
  const categoryOptions = (catalog.data?.categories ?? []).map((row) => ({
    value: row.code,
    label: `${row.code} ${row.name}${row.status === 'retired' ? '（已停用）' : ''}`,
  }));

  return (
    <Modal
      title={`授权：${username}`}
      open
      width={760}
      okText="保存授权"
      cancelText="取消"
      okButtonProps={{ disabled: adminHeld.length > 0 }}
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        title="三员角色不在此授予"
        description="系统管理员、安全保密员、安全审计员三种角色只能在服务器上用 yidang user access 命令分配或撤销；此处只授予业务角色。保存后将替换该账户原有的角色与范围。"
      />
      {adminHeld.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={`该账户担任${adminHeld.map((role) => ROLE_NAMES[role]).join('、')}，其角色与范围只能在服务器上变更`}
        />
      )}
      <Form<Values>
        form={form}
        layout="vertical"
        name="grant-access"
        preserve={false}
        disabled={adminHeld.length > 0}
        initialValues={{
          roles: current?.roles.filter((role) => !ADMIN_ROLES.includes(role)) ?? [],
          scope: (current?.scope ?? []).map((row) => ({
            fonds: row.fondsCode ?? '*',
            region: row.regionCode ?? undefined,
            category: row.categoryCode ?? undefined,
          })),
        }}
      >
        <Form.Item name="roles" label="业务角色">
          <Checkbox.Group
            options={BUSINESS_ROLES.map((role) => ({ value: role, label: ROLE_NAMES[role] }))}
          />
        </Form.Item>
        <Typography.Text strong>档案范围</Typography.Text>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
          每行是一块可访问的范围，行内各项须同时符合，统筹区、类别留空表示不限，全宗须选择（可选“全部全宗”）；多行之间为“或”；只能在您本人的范围内授权。
        </Typography.Paragraph>
        <Form.List name="scope">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, index) => (
                <Row key={field.key} gutter={8} align="bottom">
                  <Col span={8}>
                    <Form.Item name={[field.name, 'fonds']} label={`范围${index + 1} 全宗`}>
                      <Select
                        allowClear
                        placeholder="选择全宗"
                        options={fondsOptions}
                        loading={catalog.loading}
                      />
                    </Form.Item>
                  </Col>
                  <Col span={6}>
                    <Form.Item
                      name={[field.name, 'region']}
                      label={`范围${index + 1} 统筹区`}
                      rules={[{ pattern: /^\d{6}$/, message: '应为 6 位行政区划代码' }]}
                    >
                      <Input placeholder="全部地区" maxLength={6} />
                    </Form.Item>
                  </Col>
                  <Col span={8}>
                    <Form.Item name={[field.name, 'category']} label={`范围${index + 1} 类别`}>
                      <Select
                        allowClear
                        showSearch={{ optionFilterProp: 'label' }}
                        placeholder="全部类别"
                        options={categoryOptions}
                        loading={catalog.loading}
                      />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Form.Item>
                      <Button
                        aria-label={`删除范围${index + 1}`}
                        icon={<DeleteOutlined />}
                        onClick={() => remove(field.name)}
                      />
                    </Form.Item>
                  </Col>
                </Row>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({})}>
                添加范围
              </Button>
            </>
          )}
        </Form.List>
        {scope.length === 0 && (
          <Alert
            type="warning"
            showIcon
            style={{ marginTop: 12 }}
            title="未设定范围：该账户将看不到任何档案"
          />
        )}
      </Form>
    </Modal>
  );
}
