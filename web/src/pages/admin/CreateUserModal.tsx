import { Alert, App, Form, Input, Modal } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, showFieldErrors } from '../../app/hooks';

// 新建账户 (系统管理员): the account starts without roles; the 安全保密员 grants them (三员分立).
// The password policy is checked here too, so most mistakes are shown before the server says so.

interface Values {
  username: string;
  displayName?: string;
  password: string;
  confirm: string;
}

/** Server refusals that are about one field, by their code. */
const FIELD_OF_CODE: Record<string, keyof Values> = {
  USERNAME_INVALID: 'username',
  USER_EXISTS: 'username',
  PASSWORD_WEAK: 'password',
};

function passwordProblem(password: string, username: string): string | undefined {
  if ([...password].length < 12) return '口令至少 12 个字符';
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((kind) => kind.test(password)).length;
  if (kinds < 3) return '口令须包含大写字母、小写字母、数字、符号中的至少三类';
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase()))
    return '口令不能包含用户名';
  return undefined;
}

export function CreateUserModal({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (username: string) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      const created = (await unwrap(
        api.POST('/api/v1/users', {
          body: {
            username: values.username.trim().toLowerCase(),
            displayName: values.displayName?.trim() || undefined,
            password: values.password,
          },
        }),
      )) as { username: string };
      message.success(`已创建账户 ${created.username}，请安全保密员为其授予角色与范围`);
      onCreated(created.username);
      onClose();
    } catch (error) {
      const problem = asApiError(error);
      const field = FIELD_OF_CODE[problem.code];
      if (field) form.setFields([{ name: field, errors: [problem.message] }]);
      else message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title="新建账户"
      open
      okText="创建"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        title="新账户没有任何角色"
        description="按三员分立，角色与档案范围由安全保密员授予；系统管理员、安全保密员、安全审计员只能在服务器上用 yidang user 命令设立。"
      />
      <Form form={form} layout="vertical" name="create-user" preserve={false}>
        <Form.Item
          name="username"
          label="用户名"
          extra="2–64 位小写字母、数字、点、下划线或连字符，以字母或数字开头"
          rules={[
            { required: true, whitespace: true, message: '请填写用户名' },
            {
              pattern: /^[a-z0-9][a-z0-9._-]{1,63}$/,
              message: '用户名为 2–64 位小写字母、数字、点、下划线或连字符，以字母或数字开头',
            },
          ]}
        >
          <Input autoComplete="off" maxLength={64} />
        </Form.Item>
        <Form.Item name="displayName" label="姓名" rules={[{ max: 100, message: '姓名最多100个字' }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item
          name="password"
          label="初始口令"
          extra="至少 12 个字符，含大写字母、小写字母、数字、符号中的至少三类，不含用户名"
          dependencies={['username']}
          rules={[
            { required: true, message: '请填写初始口令' },
            ({ getFieldValue }) => ({
              validator: (_, value: string | undefined) => {
                const problem = value ? passwordProblem(value, getFieldValue('username') ?? '') : undefined;
                return problem ? Promise.reject(new Error(problem)) : Promise.resolve();
              },
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" maxLength={256} />
        </Form.Item>
        <Form.Item
          name="confirm"
          label="确认口令"
          dependencies={['password']}
          rules={[
            { required: true, message: '请再次输入口令' },
            ({ getFieldValue }) => ({
              validator: (_, value: string | undefined) =>
                !value || value === getFieldValue('password')
                  ? Promise.resolve()
                  : Promise.reject(new Error('两次输入的口令不一致')),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" maxLength={256} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
