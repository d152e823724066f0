import { LockOutlined, SafetyOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from './auth';
import { asApiError } from './hooks';

interface Credentials {
  username: string;
  password: string;
  totp?: string;
}

/** 登录: password first; the second factor is asked for when the account has one (or must). */
export function LoginPage() {
  const { user, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [form] = Form.useForm<Credentials>();
  const [needTotp, setNeedTotp] = useState(false);
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (user) return <Navigate to={from} replace />;

  const submit = async (values: Credentials) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await signIn(values.username, values.password, values.totp);
      navigate(from, { replace: true });
    } catch (reason) {
      const error = asApiError(reason);
      if (error.code === 'TOTP_REQUIRED') {
        setNeedTotp(true);
        form.setFields([{ name: 'totp', errors: [error.message] }]);
      } else setMessage(error.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <main>
        <Card style={{ width: 380 }}>
          <Typography.Title level={3} style={{ textAlign: 'center' }}>
            医档 · 医保业务档案管理
          </Typography.Title>
          {message && (
            <Alert type="error" showIcon title={message} style={{ marginBottom: 16 }} role="alert" />
          )}
          <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item label="用户名" name="username" rules={[{ required: true, message: '请输入用户名' }]}>
              <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item label="口令" name="password" rules={[{ required: true, message: '请输入口令' }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
            </Form.Item>
            {needTotp && (
              <Form.Item
                label="动态口令"
                name="totp"
                extra="身份验证器中的 6 位数字"
                rules={[{ required: true, pattern: /^\d{6}$/, message: '请输入 6 位数字动态口令' }]}
              >
                <Input
                  prefix={<SafetyOutlined />}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={6}
                  autoFocus
                />
              </Form.Item>
            )}
            <Button type="primary" htmlType="submit" block loading={busy}>
              登录
            </Button>
          </Form>
        </Card>
      </main>
    </div>
  );
}
