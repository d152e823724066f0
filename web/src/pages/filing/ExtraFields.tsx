import { Col, DatePicker, Form, Input, InputNumber, Row, Select } from 'antd';
import type { Rule } from 'antd/es/form';
import type { Category, ExtraField } from './catalog';
import { extraName } from './itemBody';
import { amountRule, maxChars, REGION_RE } from './validators';

// The category's own fields (类别专属字段), rendered by their declared type with the server's rules.

function rulesOf(field: ExtraField): Rule[] {
  const rules: Rule[] = [];
  if (field.required) rules.push({ required: true, message: `${field.label}为该类别的必填项` });
  if (field.type === 'text') rules.push(maxChars(field.label, field.maxLength ?? 200));
  if (field.type === 'amount') rules.push(amountRule(field.label));
  if (field.type === 'region')
    rules.push({ pattern: REGION_RE, message: `${field.label}应为有效的6位行政区划代码` });
  return rules;
}

function control(field: ExtraField) {
  switch (field.type) {
    case 'date':
      return <DatePicker style={{ width: '100%' }} format="YYYY-MM-DD" placeholder="YYYY-MM-DD" />;
    case 'integer':
      return <InputNumber style={{ width: '100%' }} precision={0} />;
    case 'enum':
      return (
        <Select allowClear placeholder="请选择" options={(field.options ?? []).map((value) => ({ value }))} />
      );
    case 'amount':
      return <Input suffix="元" inputMode="decimal" placeholder="如 1234.50" />;
    case 'region':
      return <Input maxLength={6} inputMode="numeric" placeholder="6位行政区划代码" />;
    default:
      return <Input maxLength={field.maxLength ?? 200} />;
  }
}

export function ExtraFields({ category }: { category: Category | undefined }) {
  const fields = category?.extraFields ?? [];
  if (fields.length === 0) return null;
  return (
    <Row gutter={16}>
      {fields.map((field) => (
        <Col key={field.key} xs={24} md={12} xl={8}>
          <Form.Item name={extraName(field.key)} label={field.label} rules={rulesOf(field)} validateFirst>
            {control(field)}
          </Form.Item>
        </Col>
      ))}
    </Row>
  );
}
