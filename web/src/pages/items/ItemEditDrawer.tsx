import { Alert, App, Button, Col, Drawer, Form, Input, Row, Select, Space } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { showFieldErrors } from '../../app/hooks';
import { beijingIsoOf, beijingText } from '../../app/time';
import {
  CARRIER_NAMES,
  type Category,
  codeParam,
  FIELD_LABELS,
  ITEM_SENSITIVITY_NAMES,
  type Item,
  PAPER_LOCATION_PARTS,
  RETENTION_NAMES,
  SECURITY_LEVEL_NAMES,
} from './itemFields';

// 修改: the editable fields of an item in a drawer, with a required reason. Only the fields the
// user changed are sent (the server merges them into the current version), so values shown
// masked are never written back in their masked form; masked ones cannot be edited until the
// user has chosen to see them in full.

type Values = Record<string, string | undefined>;

const TEXT_FIELDS = [
  'title',
  'docNumber',
  'responsible',
  'date',
  'name',
  'idNumber',
  'insuredNumber',
  'businessType',
  'handledAt',
  'handler',
  'agency',
  'poolingRegion',
  'amount',
] as const;
const CODE_FIELDS = ['retention', 'securityLevel', 'carrier', 'sensitivity'] as const;
const PERSONAL = new Set(['name', 'idNumber', 'insuredNumber']);
// The server masks category fields by these key patterns (src/modules/access/masking.ts).
const MASKED_EXTRA_KEY =
  /phone|mobile|tel|bank|account|card|idnumber|idcard|身份证|^(name|personname|guardian|agent|contact)$/i;

const paperKey = (key: string) => `paper_${key}`;
const extraKey = (key: string) => `extra_${key}`;
const asLocalDateTime = (value: string | null) => beijingText(value, 'second', '');

function initialValues(item: Item, specs: Category['extraFields']): Values {
  const values: Values = {};
  for (const field of TEXT_FIELDS) values[field] = String(item[field] ?? '');
  values.handledAt = asLocalDateTime(item.handledAt);
  for (const field of CODE_FIELDS) values[field] = item[field];
  for (const [key] of PAPER_LOCATION_PARTS) values[paperKey(key)] = item.paperLocation?.[key] ?? '';
  for (const spec of specs) {
    const value = item.extra?.[spec.key];
    values[extraKey(spec.key)] = value === undefined || value === null ? '' : String(value);
  }
  values.reason = '';
  return values;
}

/** The patch: only what differs from what the drawer opened with. */
function changesOf(item: Item, specs: Category['extraFields'], start: Values, now: Values) {
  const patch: Record<string, unknown> = {};
  const changed = (key: string) => (now[key] ?? '').trim() !== (start[key] ?? '').trim();
  for (const field of TEXT_FIELDS) {
    if (!changed(field)) continue;
    const text = (now[field] ?? '').trim();
    // Shown and typed in Beijing time; the API takes ISO 8601 with the offset.
    patch[field] = field === 'handledAt' && text ? beijingIsoOf(text) : text;
  }
  for (const field of CODE_FIELDS) if (changed(field)) patch[field] = now[field];
  if (PAPER_LOCATION_PARTS.some(([key]) => changed(paperKey(key)))) {
    const parts = PAPER_LOCATION_PARTS.map(([key]) => [key, (now[paperKey(key)] ?? '').trim()] as const);
    patch.paperLocation = parts.every(([, value]) => value === '') ? null : Object.fromEntries(parts);
  }
  if (specs.some((spec) => changed(extraKey(spec.key)))) {
    // extra is replaced whole: start from the stored one so keys without a form field survive.
    const extra: Record<string, unknown> = { ...(item.extra ?? {}) };
    for (const spec of specs) extra[spec.key] = (now[extraKey(spec.key)] ?? '').trim();
    patch.extra = extra;
  }
  return patch;
}

const options = (names: Record<string, string>) =>
  Object.entries(names).map(([value, label]) => ({ value, label }));

export function ItemEditDrawer({
  item,
  category,
  unmasked,
  open,
  onClose,
  onSaved,
}: {
  item: Item;
  category: Category | undefined;
  unmasked: boolean;
  open: boolean;
  onClose: () => void;
  onSaved: (item: Item) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const specs = category?.extraFields ?? [];
  const start = useMemo(() => initialValues(item, specs), [item, specs]);
  const nameMasked = !unmasked && Boolean(item.name?.includes('*'));
  const titleMasked = nameMasked && Boolean(item.name && item.title.includes(item.name));
  const extraMasked = !unmasked && Object.keys(item.extra ?? {}).some((key) => MASKED_EXTRA_KEY.test(key));
  const locked = (field: string) =>
    (!unmasked && PERSONAL.has(field) && Boolean(item[field as keyof Item])) ||
    (field === 'title' && titleMasked);
  const anyMasked = extraMasked || [...PERSONAL].some(locked);

  useEffect(() => {
    if (open) form.setFieldsValue(start);
  }, [open, start, form]);

  const save = async () => {
    // Invalid fields show their messages beside them; nothing more to do here.
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const patch = changesOf(item, specs, start, values);
    if (Object.keys(patch).length === 0) {
      message.warning('没有修改任何字段');
      return;
    }
    setSaving(true);
    try {
      const saved = await unwrap(
        api.PATCH('/api/v1/items/{archiveCode}', {
          params: codeParam(item.archiveCode),
          body: { ...patch, reason: (values.reason ?? '').trim() } as never,
        }),
      );
      message.success(`已保存为第 ${saved.version} 版`);
      onSaved(saved);
    } catch (error) {
      const extraNames = Object.fromEntries(specs.map((spec) => [`extra.${spec.key}`, extraKey(spec.key)]));
      message.error(
        showFieldErrors(form, error, {
          paperLocation: paperKey('warehouse'),
          reason: 'reason',
          ...extraNames,
        }),
      );
    } finally {
      setSaving(false);
    }
  };

  const text = (field: string, extra: { placeholder?: string; span?: number } = {}) => (
    <Col span={extra.span ?? 12} key={field}>
      <Form.Item
        name={field}
        label={FIELD_LABELS[field]}
        extra={locked(field) ? '已脱敏显示；如需修改，请先“显示完整信息”' : undefined}
      >
        <Input disabled={locked(field)} placeholder={extra.placeholder} autoComplete="off" />
      </Form.Item>
    </Col>
  );
  const select = (field: string, names: Record<string, string>) => (
    <Col span={12} key={field}>
      <Form.Item name={field} label={FIELD_LABELS[field]}>
        <Select options={options(names)} />
      </Form.Item>
    </Col>
  );

  return (
    <Drawer
      title={`修改档案 ${item.archiveCode}`}
      open={open}
      onClose={onClose}
      size={720}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>取消</Button>
          <Button type="primary" loading={saving} onClick={() => void save()}>
            保存
          </Button>
        </Space>
      }
    >
      <Alert
        type={anyMasked ? 'warning' : 'info'}
        showIcon
        style={{ marginBottom: 16 }}
        title={
          anyMasked
            ? '个人信息以脱敏形式显示，相关字段暂不可修改（可先在详情页“显示完整信息”）'
            : '只提交您改动的字段，保存后生成新版本'
        }
        description="档号、全宗、类别、年度和机构在归档时确定，不可修改。"
      />
      <Form form={form} name="itemEdit" layout="vertical" initialValues={start}>
        <Row gutter={16}>
          {text('title', { span: 24 })}
          {text('docNumber')}
          {text('responsible')}
          {text('date', { placeholder: 'YYYY-MM-DD' })}
          {select('retention', RETENTION_NAMES)}
          {select('securityLevel', SECURITY_LEVEL_NAMES)}
          {select('sensitivity', ITEM_SENSITIVITY_NAMES)}
          {text('name')}
          {text('idNumber')}
          {text('insuredNumber')}
          {text('businessType')}
          {text('handledAt', { placeholder: 'YYYY-MM-DD HH:mm:ss（北京时间）' })}
          {text('handler')}
          {text('agency')}
          {text('poolingRegion', { placeholder: '6位行政区划代码' })}
          {text('amount', { placeholder: '元，最多两位小数' })}
          {select('carrier', CARRIER_NAMES)}
        </Row>
        <Row gutter={16}>
          {PAPER_LOCATION_PARTS.map(([key, label]) => (
            <Col span={6} key={key}>
              <Form.Item name={paperKey(key)} label={`纸质存放位置·${label}`}>
                <Input autoComplete="off" />
              </Form.Item>
            </Col>
          ))}
        </Row>
        {specs.length > 0 && (
          <Row gutter={16}>
            {specs.map((spec) => (
              <Col span={12} key={spec.key}>
                <Form.Item
                  name={extraKey(spec.key)}
                  label={spec.label}
                  rules={spec.required ? [{ required: true, message: `请填写${spec.label}` }] : []}
                >
                  <Input disabled={extraMasked} autoComplete="off" />
                </Form.Item>
              </Col>
            ))}
          </Row>
        )}
        <Form.Item
          name="reason"
          label="修改原因"
          rules={[
            { required: true, whitespace: true, message: '请填写修改原因（记入版本历史）' },
            { max: 500, message: '修改原因最多500个字' },
          ]}
        >
          <Input.TextArea rows={3} placeholder="如：据经办科室更正函（2024-56号）更正存放位置" />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
