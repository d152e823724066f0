import { App, Checkbox, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { showFieldErrors } from '../../app/hooks';
import { RETENTION_NAMES, SENSITIVITY_NAMES } from '../../app/labels';

// Dialogs of the classification scheme: add a category (top level or under another) and rename one.

export type Category = ResponseOf<'/api/v1/categories', 'get'>[number];
type Retention = 'Y' | 'D100' | 'D50' | 'D30' | 'D15' | 'D10';

/** The retention periods as select options (a function: the names arrive with the vocabulary). */
export const retentionOptions = () =>
  Object.entries(RETENTION_NAMES).map(([value, label]) => ({ value: value as Retention, label }));

interface AddValues {
  code: string;
  name: string;
  defaultRetention: Retention;
  retentionBasis?: string;
  defaultSensitivity: string;
  flags: Array<'requiresPerson' | 'requiresAmount'>;
}

export function AddCategoryModal({
  parent,
  onClose,
  onDone,
}: {
  parent: Category | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<AddValues>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      await unwrap(
        api.POST('/api/v1/categories', {
          body: {
            code: values.code.trim().toUpperCase(),
            name: values.name.trim(),
            parent: parent?.code,
            defaultRetention: values.defaultRetention,
            retentionBasis: values.retentionBasis?.trim() || undefined,
            defaultSensitivity: values.defaultSensitivity,
            requiresPerson: values.flags.includes('requiresPerson'),
            requiresAmount: values.flags.includes('requiresAmount'),
          },
        }),
      );
      message.success(`已新增类别 ${values.code.toUpperCase()} ${values.name}`);
      onDone();
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={parent ? `在“${parent.code} ${parent.name}”下新增类别` : '新增一级类别'}
      open
      okText="新增"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<AddValues>
        form={form}
        layout="vertical"
        name="add-category"
        preserve={false}
        initialValues={{
          defaultRetention: (parent?.defaultRetention as Retention | undefined) ?? 'D30',
          defaultSensitivity: parent?.defaultSensitivity ?? 'normal',
          flags: [],
        }}
      >
        <Form.Item
          name="code"
          label="类别代码"
          extra="1–16 位大写字母或数字，进入档号，设定后不能修改"
          rules={[
            { required: true, whitespace: true, message: '请填写类别代码' },
            { pattern: /^[A-Za-z0-9]{1,16}$/, message: '类别代码应为1–16位大写字母或数字' },
          ]}
        >
          <Input maxLength={16} style={{ textTransform: 'uppercase' }} />
        </Form.Item>
        <Form.Item
          name="name"
          label="类别名称"
          rules={[
            { required: true, whitespace: true, message: '请填写类别名称' },
            { max: 50, message: '类别名称最多50个字' },
          ]}
        >
          <Input maxLength={50} />
        </Form.Item>
        <Form.Item
          name="defaultRetention"
          label="默认保管期限"
          rules={[{ required: true, message: '请选择' }]}
        >
          <Select options={retentionOptions()} />
        </Form.Item>
        <Form.Item name="retentionBasis" label="保管期限依据" rules={[{ max: 200, message: '最多200个字' }]}>
          <Input.TextArea
            rows={2}
            maxLength={200}
            placeholder="如：医疗保障经办业务档案管理办法；不填为“本地设置”"
          />
        </Form.Item>
        <Form.Item name="defaultSensitivity" label="默认敏感级别">
          <Select
            options={['normal', 'sensitive', 'restricted'].map((value) => ({
              value,
              label: SENSITIVITY_NAMES[value] ?? value,
            }))}
          />
        </Form.Item>
        <Form.Item name="flags" label="著录要求">
          <Checkbox.Group
            options={[
              { value: 'requiresPerson', label: '须著录参保人' },
              { value: 'requiresAmount', label: '须著录金额' },
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function RenameCategoryModal({
  category,
  onClose,
  onDone,
}: {
  category: Category;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ name: string }>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const { name } = values;
    setSaving(true);
    try {
      await unwrap(
        api.PATCH('/api/v1/categories/{code}', {
          params: { path: { code: category.code } },
          body: { name: name.trim() },
        }),
      );
      message.success(`类别 ${category.code} 已更名为“${name.trim()}”`);
      onDone();
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={`重命名类别 ${category.code}`}
      open
      okText="保存"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        name="rename-category"
        preserve={false}
        initialValues={{ name: category.name }}
      >
        <Form.Item
          name="name"
          label="类别名称"
          rules={[
            { required: true, whitespace: true, message: '请填写类别名称' },
            { max: 50, message: '类别名称最多50个字' },
          ]}
        >
          <Input maxLength={50} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
