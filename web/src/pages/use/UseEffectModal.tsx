import { App, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { asApiError } from '../../app/hooks';
import { namesOf } from '../../app/vocabulary';
import { recordEffect, type UseEntry } from './use-api';

// 记录利用效果: the borrower (or an archivist) says afterwards what the use achieved.

const EFFECT_NAMES = namesOf((v) => v.values.useEffect);

export function UseEffectModal({
  entry,
  onClose,
  onSaved,
}: {
  entry: UseEntry | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ effect: string; note?: string }>();
  const [saving, setSaving] = useState(false);
  const save = async () => {
    if (!entry) return;
    const values = await form.validateFields();
    setSaving(true);
    try {
      await recordEffect(entry.seq, {
        item: entry.archiveCode,
        effect: values.effect,
        note: values.note?.trim() || null,
      });
      message.success('已记录利用效果');
      form.resetFields();
      onSaved();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={entry !== null}
      title={`记录利用效果：${entry?.archiveCode ?? entry?.detail ?? ''}`}
      okText="保存"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void save()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ effect: entry?.effect ?? undefined }}>
        <Form.Item name="effect" label="利用效果" rules={[{ required: true, message: '请选择利用效果' }]}>
          <Select
            aria-label="利用效果"
            options={Object.entries(EFFECT_NAMES).map(([value, label]) => ({ value, label }))}
          />
        </Form.Item>
        <Form.Item name="note" label="说明（可选）">
          <Input.TextArea aria-label="利用效果说明" maxLength={500} rows={3} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
