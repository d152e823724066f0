import { Alert, Button, Card, Form, Input, InputNumber, Radio, Space, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { ApiError } from '../../api/client';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LOAN_KIND_NAMES } from './lendingView';

// 借阅申请: the 档号 (one a line), the kind of use, the purpose and the days; an archivist may also
// register another account's or an outside organisation's request (with its 介绍信). The rules of the
// items decide the longest loan and who approves; the server answers in Chinese when a rule is broken.

interface Values {
  items: string;
  kind: 'paper' | 'electronic' | 'copy';
  purpose: string;
  days: number;
  borrowerType: 'self' | 'user' | 'organisation';
  user?: string;
  organisation?: string;
  person?: string;
  letterNo?: string;
}

export default function LoanRequestPage() {
  const [form] = Form.useForm<Values>();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const borrowerType = Form.useWatch('borrowerType', form) ?? 'self';

  const submit = async (values: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      const borrower =
        values.borrowerType === 'user'
          ? { user: values.user }
          : values.borrowerType === 'organisation'
            ? { organisation: values.organisation, person: values.person, letterNo: values.letterNo }
            : undefined;
      const loan = await unwrap(
        api.POST('/api/v1/loans', {
          body: {
            kind: values.kind,
            items: values.items.split(/[\s,，、]+/).filter(Boolean),
            purpose: values.purpose,
            days: values.days,
            ...(borrower ? { borrower } : {}),
          },
        }),
      );
      navigate(`/lending/mine?created=${encodeURIComponent(loan.loanNo)}`);
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          借阅申请
        </Typography.Title>
      }
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        message="借阅期限、审批级数与纸质原件可否出库按借阅规则确定；敏感档案还须取得安全保密员的查阅授权后才能出库或开通。"
      />
      <ErrorNotice error={error} />
      <Form<Values>
        form={form}
        layout="vertical"
        style={{ maxWidth: 720 }}
        initialValues={{ kind: 'paper', days: 10, borrowerType: 'self' }}
        onFinish={submit}
      >
        <Form.Item
          name="items"
          label="档号（每行一个）"
          rules={[{ required: true, message: '请填写要借阅的档号' }]}
        >
          <Input.TextArea rows={3} aria-label="档号" />
        </Form.Item>
        <Form.Item name="kind" label="借阅方式">
          <Radio.Group
            aria-label="借阅方式"
            options={Object.entries(LOAN_KIND_NAMES).map(([value, label]) => ({ value, label }))}
          />
        </Form.Item>
        <Form.Item name="purpose" label="借阅目的" rules={[{ required: true, message: '请填写借阅目的' }]}>
          <Input maxLength={200} aria-label="借阅目的" />
        </Form.Item>
        <Form.Item name="days" label="借阅天数" rules={[{ required: true }]}>
          <InputNumber min={1} max={365} aria-label="借阅天数" />
        </Form.Item>
        {can('loan.handle') && (
          <>
            <Form.Item name="borrowerType" label="借阅人">
              <Radio.Group
                options={[
                  { value: 'self', label: '本人' },
                  { value: 'user', label: '本单位其他人员' },
                  { value: 'organisation', label: '外单位（凭介绍信）' },
                ]}
              />
            </Form.Item>
            {borrowerType === 'user' && (
              <Form.Item name="user" label="借阅人账户" rules={[{ required: true }]}>
                <Input maxLength={64} />
              </Form.Item>
            )}
            {borrowerType === 'organisation' && (
              <Space wrap>
                <Form.Item name="organisation" label="单位名称" rules={[{ required: true }]}>
                  <Input maxLength={100} aria-label="单位名称" />
                </Form.Item>
                <Form.Item name="person" label="经办人">
                  <Input maxLength={50} aria-label="经办人" />
                </Form.Item>
                <Form.Item name="letterNo" label="介绍信编号" rules={[{ required: true }]}>
                  <Input maxLength={50} aria-label="介绍信编号" />
                </Form.Item>
              </Space>
            )}
          </>
        )}
        <Button type="primary" htmlType="submit" loading={busy}>
          提交申请
        </Button>
      </Form>
    </Card>
  );
}
