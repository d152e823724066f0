import { Alert, App, Button, Card, Form, Input, Steps, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { asApiError } from '../../app/hooks';

// 开通动态口令: the server makes a secret, the user adds it to an authenticator app (typed in, or
// the otpauth address pasted: the console carries no QR library) and proves it with a current code.

const ADMIN_ROLES = ['sysadmin', 'secadmin', 'auditor'];
/** JBSWY3DPEHPK3PXP → JBSW Y3DP EHPK 3PXP: easier to type into a phone without losing one's place. */
export const groupBy4 = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

export function TotpCard() {
  const { message } = App.useApp();
  const { user, refresh } = useAuth();
  const [form] = Form.useForm<{ code: string }>();
  const [enrolment, setEnrolment] = useState<{ secret: string; uri: string }>();
  const [busy, setBusy] = useState(false);
  const [enabled, setEnabled] = useState(false);
  const admin = user?.roles.some((role) => ADMIN_ROLES.includes(role)) ?? false;

  const begin = async () => {
    setBusy(true);
    try {
      setEnrolment(await unwrap(api.POST('/api/v1/auth/totp/new')));
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!enrolment) return;
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const { code } = values;
    setBusy(true);
    try {
      await unwrap(api.POST('/api/v1/auth/totp', { body: { secret: enrolment.secret, code: code.trim() } }));
      setEnabled(true);
      setEnrolment(undefined);
      message.success('动态口令已开通，此后登录须输入动态口令');
      await refresh();
    } catch (error) {
      const problem = asApiError(error);
      if (problem.code === 'TOTP_ALREADY_ENABLED') {
        setEnabled(true);
        setEnrolment(undefined);
        message.info(problem.message);
      } else form.setFields([{ name: 'code', errors: [problem.message] }]);
    } finally {
      setBusy(false);
    }
  };

  if ((admin && !user?.mustEnrolTotp) || enabled)
    return (
      <Card title="动态口令">
        <Alert
          type="success"
          showIcon
          title="已开通动态口令"
          description={
            admin
              ? '系统管理员、安全保密员、安全审计员账户登录时必须输入动态口令。'
              : '此后登录须输入身份验证器显示的动态口令。'
          }
        />
      </Card>
    );

  return (
    <Card title="动态口令">
      {!enrolment ? (
        <>
          <Typography.Paragraph>
            开通后，登录时除口令外还须输入手机身份验证器（如 Microsoft Authenticator、FreeOTP）显示的 6
            位动态口令。
          </Typography.Paragraph>
          <Button type="primary" loading={busy} onClick={() => void begin()}>
            开通动态口令
          </Button>
        </>
      ) : (
        <Steps
          orientation="vertical"
          size="small"
          current={1}
          items={[
            {
              title: '在身份验证器中添加账户',
              content: (
                <>
                  <Typography.Paragraph style={{ marginBottom: 4 }}>手动输入密钥：</Typography.Paragraph>
                  <Typography.Paragraph copyable={{ text: enrolment.secret }} code style={{ fontSize: 16 }}>
                    {groupBy4(enrolment.secret)}
                  </Typography.Paragraph>
                  <Typography.Paragraph style={{ marginBottom: 4 }}>
                    或复制以下地址到支持的应用：
                  </Typography.Paragraph>
                  <Typography.Paragraph copyable code style={{ wordBreak: 'break-all', fontSize: 12 }}>
                    {enrolment.uri}
                  </Typography.Paragraph>
                </>
              ),
            },
            {
              title: '输入验证器显示的动态口令以确认',
              content: (
                <Form form={form} layout="inline" name="totp-confirm" onFinish={() => void confirm()}>
                  <Form.Item
                    name="code"
                    label="动态口令"
                    rules={[
                      { required: true, message: '请输入 6 位动态口令' },
                      { pattern: /^\s*\d{6}\s*$/, message: '动态口令为 6 位数字' },
                    ]}
                  >
                    <Input
                      maxLength={6}
                      inputMode="numeric"
                      autoComplete="one-time-code"
                      style={{ width: 120 }}
                    />
                  </Form.Item>
                  <Form.Item>
                    <Button type="primary" htmlType="submit" loading={busy}>
                      确认开通
                    </Button>
                  </Form.Item>
                  <Form.Item>
                    <Button onClick={() => setEnrolment(undefined)}>取消</Button>
                  </Form.Item>
                </Form>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}
