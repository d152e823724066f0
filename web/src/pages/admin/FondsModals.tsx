import { Alert, App, Form, Input, InputNumber, Modal, Radio, Spin } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { asApiError, showFieldErrors, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';

// Dialogs of 全宗与档号规则: create or edit a fonds (the 档号 pattern only until the first filing),
// and the fonds' scan resolution policy.

export type Fonds = ResponseOf<'/api/v1/fonds', 'get'>[number];
export const DEFAULT_PATTERN = '{fonds}-{category}·{year}-{retention}-{org}-{item:4}';
const PATTERN_HELP =
  '占位符：{fonds} 全宗号、{category} 类别代码、{year} 年度、{retention} 保管期限、{org} 机构问题代码、{item:4} 件号（4位）';

/** Refusals about one field that come without per-field issues, by their code. */
const FIELD_OF_CODE: Record<string, string> = {
  PATTERN_LOCKED: 'archiveCodePattern',
  PATTERN_INVALID: 'archiveCodePattern',
  FONDS_EXISTS: 'code',
};

interface FondsValues {
  code: string;
  name: string;
  regionCode: string;
  archiveCodePattern?: string;
}

export function FondsModal({
  fonds,
  onClose,
  onDone,
}: {
  /** The fonds to edit; none to create one. */
  fonds?: Fonds;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<FondsValues>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const pattern = values.archiveCodePattern?.trim() || undefined;
    setSaving(true);
    try {
      if (fonds)
        await unwrap(
          api.PATCH('/api/v1/fonds/{code}', {
            params: { path: { code: fonds.code } },
            body: {
              name: values.name.trim(),
              regionCode: values.regionCode.trim(),
              ...(pattern !== fonds.archiveCodePattern ? { archiveCodePattern: pattern } : {}),
            },
          }),
        );
      else
        await unwrap(
          api.POST('/api/v1/fonds', {
            body: {
              code: values.code.trim().toUpperCase(),
              name: values.name.trim(),
              regionCode: values.regionCode.trim(),
              archiveCodePattern: pattern,
            },
          }),
        );
      message.success(fonds ? `全宗 ${fonds.code} 已保存` : `已新建全宗 ${values.code.toUpperCase()}`);
      onDone();
      onClose();
    } catch (error) {
      const problem = asApiError(error);
      const field = FIELD_OF_CODE[problem.code];
      if (field) form.setFields([{ name: field as keyof FondsValues, errors: [problem.message] }]);
      else message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={fonds ? `修改全宗 ${fonds.code}` : '新建全宗'}
      open
      width={640}
      okText="保存"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<FondsValues>
        form={form}
        layout="vertical"
        name="fonds"
        preserve={false}
        initialValues={fonds ?? { archiveCodePattern: DEFAULT_PATTERN }}
      >
        <Form.Item
          name="code"
          label="全宗号"
          extra={fonds ? '全宗号设定后不能修改' : '4 位大写字母或数字，如 J013'}
          rules={[
            { required: true, whitespace: true, message: '请填写全宗号' },
            { pattern: /^[A-Za-z0-9]{4}$/, message: '全宗号应为4位大写字母或数字，如 J013' },
          ]}
        >
          <Input maxLength={4} disabled={Boolean(fonds)} style={{ textTransform: 'uppercase' }} />
        </Form.Item>
        <Form.Item
          name="name"
          label="全宗名称"
          rules={[
            { required: true, whitespace: true, message: '请填写全宗名称' },
            { max: 100, message: '全宗名称最多100个字' },
          ]}
        >
          <Input maxLength={100} placeholder="如 南京市江宁区医疗保障局" />
        </Form.Item>
        <Form.Item
          name="regionCode"
          label="地区代码"
          extra="6 位行政区划代码（GB/T 2260）"
          rules={[
            { required: true, whitespace: true, message: '请填写地区代码' },
            { pattern: /^\d{6}$/, message: '地区代码应为 6 位数字' },
          ]}
        >
          <Input maxLength={6} />
        </Form.Item>
        <Form.Item
          name="archiveCodePattern"
          label="档号规则"
          extra={`${PATTERN_HELP}。全宗已有归档档案后不能再修改。`}
          rules={[{ max: 100, message: '档号规则最多100个字符' }]}
        >
          <Input maxLength={100} placeholder={DEFAULT_PATTERN} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface PolicyValues {
  minDpi: number;
  lowDpi: 'reject' | 'flag';
}

export function ScanPolicyModal({ fonds, onClose }: { fonds: Fonds; onClose: () => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<PolicyValues>();
  const [saving, setSaving] = useState(false);
  const policy = useRequest(
    () => unwrap(api.GET('/api/v1/fonds/{code}/scan-policy', { params: { path: { code: fonds.code } } })),
    [fonds.code],
  );

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      await unwrap(
        api.PUT('/api/v1/fonds/{code}/scan-policy', { params: { path: { code: fonds.code } }, body: values }),
      );
      message.success(`全宗 ${fonds.code} 的扫描分辨率要求已保存`);
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={`扫描分辨率要求：${fonds.code} ${fonds.name}`}
      open
      okText="保存"
      cancelText="取消"
      okButtonProps={{ disabled: !policy.data }}
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <ErrorNotice error={policy.error} retry={policy.reload} />
      {policy.loading && <Spin />}
      {policy.data && (
        <Form<PolicyValues>
          form={form}
          layout="vertical"
          name="scan-policy"
          preserve={false}
          initialValues={policy.data}
        >
          <Alert type="info" showIcon style={{ marginBottom: 16 }} title="档案数字化一般要求不低于 300 dpi" />
          <Form.Item
            name="minDpi"
            label="最低扫描分辨率"
            rules={[
              { required: true, message: '请填写最低分辨率' },
              { type: 'number', min: 72, max: 2400, message: '分辨率应在 72–2400 dpi 之间' },
            ]}
          >
            <InputNumber min={72} max={2400} precision={0} suffix="dpi" />
          </Form.Item>
          <Form.Item name="lowDpi" label="分辨率不足时">
            <Radio.Group
              options={[
                { value: 'reject', label: '拒收' },
                { value: 'flag', label: '收下并标记重扫' },
              ]}
            />
          </Form.Item>
        </Form>
      )}
    </Modal>
  );
}
