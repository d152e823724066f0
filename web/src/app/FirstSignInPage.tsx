import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { TotpCard } from '../pages/profile/TotpCard';
import { useAuth } from './auth';
import { asApiError } from './hooks';

// 首次登录: a password someone else chose is changed by its owner, and an administrator enrols their
// own second factor, before the console offers anything else (the server refuses the rest meanwhile).

interface Passwords {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

export function FirstSignInPage() {
  const { user, refresh, signOut } = useAuth();
  const [form] = Form.useForm<Passwords>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  const submit = async ({ currentPassword, newPassword }: Passwords) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await unwrap(api.POST('/api/v1/auth/password', { body: { currentPassword, newPassword } }));
      await refresh();
    } catch (error) {
      const answer = asApiError(error);
      if (answer.code === 'PASSWORD_WRONG')
        form.setFields([{ name: 'currentPassword', errors: [answer.message] }]);
      else if (answer.code === 'PASSWORD_WEAK' || answer.code === 'PASSWORD_UNCHANGED')
        form.setFields([{ name: 'newPassword', errors: [answer.message] }]);
      else setProblem(answer.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <main style={{ width: 460 }}>
        {user?.mustChangePassword ? (
          <Card title="修改口令">
            <Typography.Paragraph>
              您的口令由他人设定。请先设定只有您本人知道的新口令，之后才能使用其他功能。
            </Typography.Paragraph>
            {problem && (
              <Alert type="error" showIcon title={problem} style={{ marginBottom: 16 }} role="alert" />
            )}
            <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
              <Form.Item
                label="当前口令"
                name="currentPassword"
                rules={[{ required: true, message: '请输入当前口令' }]}
              >
                <Input.Password autoComplete="current-password" autoFocus />
              </Form.Item>
              <Form.Item
                label="新口令"
                name="newPassword"
                extra="至少 12 个字符，包含大写字母、小写字母、数字、符号中的至少三类"
                rules={[{ required: true, message: '请输入新口令' }]}
              >
                <Input.Password autoComplete="new-password" />
              </Form.Item>
              <Form.Item
                label="确认新口令"
                name="confirm"
                dependencies={['newPassword']}
                rules={[
                  { required: true, message: '请再输入一次新口令' },
                  ({ getFieldValue }) => ({
                    validator: (_rule, value) =>
                      !value || value === getFieldValue('newPassword')
                        ? Promise.resolve()
                        : Promise.reject(new Error('两次输入的新口令不一致')),
                  }),
                ]}
              >
                <Input.Password autoComplete="new-password" />
              </Form.Item>
              <Button type="primary" htmlType="submit" block loading={busy}>
                修改口令
              </Button>
            </Form>
          </Card>
        ) : (
          <>
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 16 }}
              title="请开通您本人的动态口令"
              description="账户创建时显示的动态口令密钥他人也曾看到，已不再使用；开通后方可使用其他功能。"
            />
            <TotpCard />
          </>
        )}
        <Button type="link" onClick={() => void signOut()} style={{ marginTop: 8 }}>
          退出
        </Button>
      </main>
    </div>
  );
}
