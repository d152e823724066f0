import { Alert, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { showFieldErrors } from '../../app/hooks';
import { beijingIsoOf } from '../../app/time';
import { type RegisterRow, registerPaths } from './destructionView';
import { postJson } from './dispositionApi';
import { paperMethods } from './names';

// 确认纸质销毁: once the carry-out reduced a paper item to its tombstone, the archivist records how
// the paper was destroyed (method, place, time) and the 监销人 present.

interface Values {
  method: string;
  place: string;
  at: string;
  witnesses: string[];
}

export function PaperModal({
  register,
  row,
  witnesses,
  onClose,
  onDone,
}: {
  register: string;
  row: RegisterRow | undefined;
  /** The register's 监销人, offered first. */
  witnesses: string[];
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (values: Values) => {
    if (!row) return;
    setBusy(true);
    setError(undefined);
    try {
      await postJson(registerPaths.paper(register), {
        archiveCode: row.archiveCode,
        ...values,
        at: beijingIsoOf(values.at),
      });
      form.resetFields();
      onDone(`${row.archiveCode} 纸质销毁已确认`);
    } catch (caught) {
      setError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!row}
      title={row ? `确认纸质销毁：${row.archiveCode}` : ''}
      okText="确认"
      cancelText="取消"
      confirmLoading={busy}
      onOk={() => form.submit()}
      onCancel={onClose}
      afterOpenChange={(open) => {
        if (open) form.setFieldsValue({ witnesses });
      }}
    >
      {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error} />}
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="method" label="销毁方式" rules={[{ required: true, message: '请选择销毁方式' }]}>
          <Select
            aria-label="销毁方式"
            options={paperMethods().map((method) => ({ value: method, label: method }))}
          />
        </Form.Item>
        <Form.Item name="place" label="销毁地点" rules={[{ required: true, message: '请填写销毁地点' }]}>
          <Input aria-label="销毁地点" maxLength={200} />
        </Form.Item>
        <Form.Item
          name="at"
          label="销毁时间"
          extra="北京时间，如 2026-12-07 15:30"
          rules={[{ required: true, message: '请填写销毁时间' }]}
        >
          <Input aria-label="销毁时间" maxLength={30} />
        </Form.Item>
        <Form.Item
          name="witnesses"
          label="监销人"
          extra="填写用户名，至少两人"
          rules={[{ required: true, type: 'array', min: 2, message: '至少两名监销人' }]}
        >
          <Select aria-label="监销人" mode="tags" open={false} tokenSeparators={[',', '，', ' ']} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
