import { AutoComplete, Button, Col, DatePicker, Form, Input, InputNumber, Row, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { AUDIT_ACTION_GROUPS, AUDIT_ACTION_NAMES } from '../../app/labels';

// The audit trail's filters, as the API takes them. Time is picked in the browser's zone and sent
// as an instant, so 北京时间 on the screen is what the server compares.

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  grant?: number;
  trace?: string;
  from?: string;
  to?: string;
}

interface Values {
  actor?: string;
  action?: string;
  subject?: string;
  grant?: number | null;
  trace?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

const ACTION_OPTIONS = [
  ...Object.entries(AUDIT_ACTION_GROUPS).map(([code, name]) => ({ value: code, label: `${name}  ${code}` })),
  ...Object.entries(AUDIT_ACTION_NAMES).map(([code, name]) => ({ value: code, label: `${name}  ${code}` })),
];

const text = (value: string | undefined) => value?.trim() || undefined;

export function toQueryString(filter: AuditFilter): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter))
    if (value !== undefined && value !== '') query.set(key, String(value));
  return query.toString();
}

export function AuditFilters({
  onSearch,
  onExport,
  exporting,
}: {
  onSearch: (filter: AuditFilter) => void;
  onExport: (filter: AuditFilter) => void;
  exporting: boolean;
}) {
  const [form] = Form.useForm<Values>();

  const current = (): AuditFilter => {
    const values = form.getFieldsValue();
    const [from, to] = values.range ?? [];
    return {
      actor: text(values.actor),
      action: text(values.action),
      subject: text(values.subject),
      grant: values.grant ?? undefined,
      trace: text(values.trace)?.toUpperCase(),
      from: from?.toISOString(),
      to: to?.toISOString(),
    };
  };

  return (
    <Form
      form={form}
      layout="vertical"
      name="audit-filter"
      onFinish={() => onSearch(current())}
      style={{ marginBottom: 8 }}
    >
      <Row gutter={16}>
        <Col xs={24} md={8} xl={4}>
          <Form.Item name="actor" label="操作人">
            <Input placeholder="用户名" allowClear maxLength={100} />
          </Form.Item>
        </Col>
        <Col xs={24} md={8} xl={5}>
          <Form.Item name="action" label="动作">
            <AutoComplete
              allowClear
              placeholder="如 查阅敏感档案、auth."
              options={ACTION_OPTIONS}
              filterOption={(input, option) =>
                String(option?.label ?? '')
                  .toLowerCase()
                  .includes(input.toLowerCase())
              }
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={8} xl={5}>
          <Form.Item name="subject" label="对象">
            <Input placeholder="如 item:档号、user:用户名" allowClear maxLength={300} />
          </Form.Item>
        </Col>
        <Col xs={24} md={8} xl={4}>
          <Form.Item name="grant" label="授权单号">
            <InputNumber min={1} precision={0} style={{ width: '100%' }} placeholder="查阅申请编号" />
          </Form.Item>
        </Col>
        <Col xs={24} md={8} xl={6}>
          <Form.Item name="trace" label="追踪号">
            <Input placeholder="YD-XXXX-XXXX-XX" allowClear maxLength={20} />
          </Form.Item>
        </Col>
        <Col xs={24} md={16} xl={8}>
          <Form.Item name="range" label="时间范围">
            <DatePicker.RangePicker
              showTime={{ format: 'HH:mm' }}
              format="YYYY-MM-DD HH:mm"
              allowEmpty={[true, true]}
              style={{ width: '100%' }}
              placeholder={['起始时间', '结束时间']}
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={8} xl={16} style={{ display: 'flex', alignItems: 'flex-end' }}>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit">
                查询
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
                  onSearch({});
                }}
              >
                重置
              </Button>
              <Button loading={exporting} onClick={() => onExport(current())}>
                导出 CSV
              </Button>
            </Space>
          </Form.Item>
        </Col>
      </Row>
    </Form>
  );
}
