import { Button, Col, DatePicker, Form, Input, InputNumber, Row, Select, Space, TreeSelect } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo } from 'react';
import { useAuth } from '../../app/auth';
import {
  CARRIER_NAMES,
  categoryTree,
  optionsOf,
  RETENTION_NAMES,
  SENSITIVITY_LEVELS,
  useCategories,
  useFonds,
} from '../filing/catalog';
import { AMOUNT_RE } from '../filing/validators';
import type { Filters } from './searchState';

// 高级筛选: the search's filter parameters as a form. The form mirrors the URL; 应用筛选 writes it back.

interface FilterValues {
  category?: string;
  fonds?: string;
  yearFrom?: number | null;
  yearTo?: number | null;
  retention?: string;
  region?: string;
  carrier?: string;
  sensitivity?: string;
  amountMin?: string;
  amountMax?: string;
  dateFrom?: Dayjs | null;
  dateTo?: Dayjs | null;
  handler?: string;
  agency?: string;
}

function toValues(filters: Filters): FilterValues {
  const year = (value?: string) => (value && /^\d{4}$/.test(value) ? Number(value) : undefined);
  const date = (value?: string) =>
    value && dayjs(value, 'YYYY-MM-DD', true).isValid() ? dayjs(value) : undefined;
  return {
    ...filters,
    yearFrom: year(filters.yearFrom),
    yearTo: year(filters.yearTo),
    dateFrom: date(filters.dateFrom),
    dateTo: date(filters.dateTo),
  };
}

function toFilters(values: FilterValues): Filters {
  const filters: Filters = {};
  const put = (key: keyof Filters, value: string | number | undefined | null) => {
    const text = value === undefined || value === null ? '' : String(value).trim();
    if (text) filters[key] = text;
  };
  for (const key of ['category', 'fonds', 'retention', 'region', 'carrier', 'sensitivity'] as const)
    put(key, values[key]);
  for (const key of ['amountMin', 'amountMax', 'handler', 'agency'] as const) put(key, values[key]);
  put('yearFrom', values.yearFrom);
  put('yearTo', values.yearTo);
  put('dateFrom', values.dateFrom?.format('YYYY-MM-DD'));
  put('dateTo', values.dateTo?.format('YYYY-MM-DD'));
  return filters;
}

const amountRule = { pattern: AMOUNT_RE, message: '应为非负金额，最多两位小数' };
const col = { xs: 24, md: 12, xl: 8 } as const;

export function FilterPanel({ filters, onApply }: { filters: Filters; onApply: (filters: Filters) => void }) {
  const { can } = useAuth();
  const [form] = Form.useForm<FilterValues>();
  const categories = useCategories(can('catalog.read'));
  const fonds = useFonds(can('catalog.read'));
  const tree = useMemo(() => categoryTree(categories.data ?? [], 'search'), [categories.data]);
  // The URL changes by facets and saved searches too: the form follows it.
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(toValues(filters));
  }, [filters, form]);

  return (
    <Form<FilterValues> form={form} layout="vertical" onFinish={(values) => onApply(toFilters(values))}>
      <Row gutter={16}>
        <Col {...col}>
          <Form.Item name="category" label="类别" extra="含下级类别">
            <TreeSelect
              allowClear
              showSearch={{ treeNodeFilterProp: 'title' }}
              treeData={tree}
              placeholder="全部类别"
            />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="fonds" label="全宗">
            <Select
              allowClear
              placeholder="全部全宗"
              options={(fonds.data ?? []).map((row) => ({
                value: row.code,
                label: `${row.code} ${row.name}`,
              }))}
            />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item label="年度">
            <Space.Compact style={{ width: '100%' }}>
              <Form.Item name="yearFrom" noStyle>
                <InputNumber
                  aria-label="起始年度"
                  placeholder="起始年度"
                  min={1900}
                  max={2100}
                  precision={0}
                  style={{ width: '50%' }}
                />
              </Form.Item>
              <Form.Item name="yearTo" noStyle>
                <InputNumber
                  aria-label="截止年度"
                  placeholder="截止年度"
                  min={1900}
                  max={2100}
                  precision={0}
                  style={{ width: '50%' }}
                />
              </Form.Item>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="retention" label="保管期限">
            <Select allowClear placeholder="全部" options={optionsOf(RETENTION_NAMES)} />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item
            name="region"
            label="统筹区"
            rules={[{ pattern: /^(\d{2}|\d{4}|\d{6})$/, message: '应为2、4或6位行政区划代码' }]}
          >
            <Input maxLength={6} inputMode="numeric" placeholder="如 32（省）、3201（市）、320115（区县）" />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="carrier" label="载体">
            <Select allowClear placeholder="全部" options={optionsOf(CARRIER_NAMES)} />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="sensitivity" label="敏感级别">
            <Select allowClear placeholder="全部" options={optionsOf(SENSITIVITY_LEVELS)} />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item label="金额（元）">
            <Space.Compact style={{ width: '100%' }}>
              <Form.Item name="amountMin" noStyle rules={[amountRule]}>
                <Input aria-label="最小金额" placeholder="最小金额" inputMode="decimal" />
              </Form.Item>
              <Form.Item name="amountMax" noStyle rules={[amountRule]}>
                <Input aria-label="最大金额" placeholder="最大金额" inputMode="decimal" />
              </Form.Item>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item label="日期">
            <Space.Compact style={{ width: '100%' }}>
              <Form.Item name="dateFrom" noStyle>
                <DatePicker
                  aria-label="起始日期"
                  placeholder="起始日期"
                  format="YYYY-MM-DD"
                  style={{ width: '50%' }}
                />
              </Form.Item>
              <Form.Item name="dateTo" noStyle>
                <DatePicker
                  aria-label="截止日期"
                  placeholder="截止日期"
                  format="YYYY-MM-DD"
                  style={{ width: '50%' }}
                />
              </Form.Item>
            </Space.Compact>
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="handler" label="经办人">
            <Input maxLength={100} />
          </Form.Item>
        </Col>
        <Col {...col}>
          <Form.Item name="agency" label="经办机构">
            <Input maxLength={100} />
          </Form.Item>
        </Col>
      </Row>
      <Space>
        <Button type="primary" htmlType="submit">
          应用筛选
        </Button>
        <Button
          onClick={() => {
            form.resetFields();
            onApply({});
          }}
        >
          清除筛选
        </Button>
      </Space>
    </Form>
  );
}
