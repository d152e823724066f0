import { Alert, App, Form, Input, InputNumber, Modal, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { showFieldErrors } from '../../app/hooks';

// 申请查阅: asks the 安全保密员 to let the user read named sensitive items for a stated purpose and
// a number of days. The API counts hours: 敏感 up to 168 (7 days), 限制 up to 24 (1 day).

interface Values {
  purpose: string;
  days: number;
}

export interface RequestTarget {
  archiveCode: string;
  sensitivity: string;
}

export function AccessRequestModal({
  open,
  targets,
  onClose,
  onDone,
}: {
  open: boolean;
  targets: RequestTarget[];
  onClose: () => void;
  onDone?: (requestId: number) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const restricted = targets.some((target) => target.sensitivity === 'restricted');
  const maxDays = restricted ? 1 : 7;

  const submit = async () => {
    // Invalid fields show their messages beside them; nothing more to do here.
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      const created = await unwrap(
        api.POST('/api/v1/access-requests', {
          body: {
            items: targets.map((target) => target.archiveCode),
            purpose: values.purpose.trim(),
            hours: values.days * 24,
          },
        }),
      );
      message.success(`查阅申请已提交（编号 ${created.id}），待安全保密员审批`);
      form.resetFields();
      onDone?.(created.id);
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error, { hours: 'days' }));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title="申请查阅敏感档案"
      open={open}
      okText="提交申请"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph>
        申请查阅 {targets.length} 件档案：
        <Typography.Text code>{targets.map((target) => target.archiveCode).join('、')}</Typography.Text>
      </Typography.Paragraph>
      {restricted && (
        <Alert type="warning" showIcon style={{ marginBottom: 16 }} title="含限制级档案：查阅期限最长 1 天" />
      )}
      <Form form={form} name="accessRequest" layout="vertical" initialValues={{ days: 1 }} preserve={false}>
        <Form.Item
          name="purpose"
          label="用途"
          rules={[
            { required: true, whitespace: true, message: '请写明查阅用途' },
            { min: 4, message: '查阅用途至少写4个字，说明为何需要查阅' },
            { max: 200, message: '查阅用途最多200个字' },
          ]}
        >
          <Input.TextArea rows={3} placeholder="如：核对参保人王某某2024年报销材料（信访件 2024-118）" />
        </Form.Item>
        <Form.Item
          name="days"
          label="天数"
          extra={`授权自批准时起算，最长 ${maxDays} 天，到期自动失效`}
          rules={[
            { required: true, message: '请填写查阅天数' },
            { type: 'number', min: 1, max: maxDays, message: `天数应在 1–${maxDays} 之间` },
          ]}
        >
          <InputNumber min={1} max={maxDays} precision={0} style={{ width: 160 }} suffix="天" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
