import { Button, Form, Input, InputNumber, Select } from 'antd';
import type { Fonds } from './itemFields';

// The list's filters besides the category tree: 全宗, 年度 and an exact 身份证号 (looked up by the
// server through its blind index; never put into the address bar).

export interface FilterValues {
  fonds?: string;
  year?: number;
  idNumber?: string;
}

const ID_NUMBER = /^\d{17}[\dXx]$/;

export function ItemFilters({
  fonds,
  values,
  onApply,
}: {
  fonds: Fonds[] | undefined;
  values: FilterValues;
  onApply: (values: FilterValues) => void;
}) {
  const [form] = Form.useForm<FilterValues>();
  return (
    <Form
      form={form}
      name="itemFilters"
      layout="inline"
      initialValues={values}
      onFinish={(next) =>
        onApply({
          fonds: next.fonds || undefined,
          year: next.year ?? undefined,
          idNumber: next.idNumber?.trim().toUpperCase() || undefined,
        })
      }
      style={{ rowGap: 8, marginBottom: 12 }}
    >
      <Form.Item name="fonds" label="全宗">
        <Select
          allowClear
          placeholder="全部全宗"
          style={{ width: 220 }}
          options={(fonds ?? []).map((entry) => ({
            value: entry.code,
            label: `${entry.code} ${entry.name}`,
          }))}
        />
      </Form.Item>
      <Form.Item
        name="year"
        label="年度"
        rules={[{ type: 'number', min: 1900, max: 2200, message: '年度应在 1900–2200 之间' }]}
      >
        <InputNumber placeholder="如 2024" precision={0} style={{ width: 110 }} />
      </Form.Item>
      <Form.Item
        name="idNumber"
        label="身份证号"
        rules={[{ pattern: ID_NUMBER, message: '身份证号应为18位（末位可为X）' }]}
      >
        <Input allowClear placeholder="18位，精确查找" style={{ width: 200 }} autoComplete="off" />
      </Form.Item>
      <Form.Item>
        <Button type="primary" htmlType="submit" style={{ marginInlineEnd: 8 }}>
          查询
        </Button>
        <Button
          onClick={() => {
            form.setFieldsValue({ fonds: undefined, year: undefined, idNumber: undefined });
            onApply({});
          }}
        >
          重置
        </Button>
      </Form.Item>
    </Form>
  );
}
