import { Form, Input, Modal, Typography } from 'antd';

// Asks why the user wants to see an item's personal data in full; the purpose goes into the
// event log with the disclosure.

export function PurposeModal({
  open,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  onCancel: () => void;
  onConfirm: (purpose: string) => void;
}) {
  const [form] = Form.useForm<{ purpose: string }>();
  const confirm = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (values) onConfirm(values.purpose.trim());
  };
  return (
    <Modal
      title="显示完整信息"
      open={open}
      okText="显示"
      cancelText="取消"
      onOk={() => void confirm()}
      onCancel={onCancel}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">
        姓名、身份证号、参保号等个人信息将不加脱敏地显示，本次查看连同用途记入事件日志。
      </Typography.Paragraph>
      <Form
        form={form}
        name="unmaskPurpose"
        layout="vertical"
        preserve={false}
        onFinish={() => void confirm()}
      >
        <Form.Item
          name="purpose"
          label="用途"
          rules={[
            { required: true, whitespace: true, message: '请填写查看用途' },
            { max: 200, message: '用途最多200个字' },
          ]}
        >
          <Input placeholder="如：核对身份证号以更正著录错误" autoComplete="off" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
