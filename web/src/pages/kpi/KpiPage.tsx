import { DownloadOutlined, QuestionCircleOutlined } from '@ant-design/icons';
import { App, Button, Card, Form, Input, InputNumber, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { download } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type KpiDefinition, type KpiFilter, type KpiUnit, loadKpi, reportQuery } from './kpi-api';

// 考核指标: the year's indicators of each unit (全宗/立档单位) and 统筹区 in the caller's scope, each
// with its computation on hover (分子, 分母, what counts) and the numbers behind the rate; the 考核报告
// as XLSX or PDF. Counts only.

type RatioKey = 'completeness' | 'electronic' | 'digitised' | 'timely';

function Heading({ definition }: { definition: KpiDefinition | undefined }) {
  if (!definition) return null;
  return (
    <Tooltip
      title={
        <div>
          <div>分子：{definition.numerator}</div>
          <div>分母：{definition.denominator}</div>
          <div>{definition.method}</div>
        </div>
      }
    >
      <span>
        {definition.name} <QuestionCircleOutlined aria-label={`${definition.name}的计算方法`} />
      </span>
    </Tooltip>
  );
}

function columns(definitions: KpiDefinition[]): ColumnsType<KpiUnit> {
  const find = (key: string) => definitions.find((definition) => definition.key === key);
  const ratio = (key: RatioKey): ColumnsType<KpiUnit>[number] => ({
    key,
    title: <Heading definition={find(key)} />,
    align: 'right',
    render: (_, unit) => (
      <span>
        {unit[key].percent}
        <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 4 }}>
          {unit[key].numerator}/{unit[key].denominator}
        </Typography.Text>
      </span>
    ),
  });
  return [
    {
      key: 'name',
      title: '单位 / 统筹区',
      render: (_, unit) => (unit.level === 'total' ? '合计' : `${unit.code} ${unit.name}`),
    },
    { key: 'items', title: '档案件数', dataIndex: 'items', align: 'right' },
    ratio('completeness'),
    ratio('electronic'),
    ratio('digitised'),
    ratio('timely'),
    {
      key: 'uses',
      title: <Heading definition={find('uses')} />,
      align: 'right',
      render: (_, unit) => (
        <Tooltip title={unit.uses.byKind.map((kind) => `${kind.kindName} ${kind.uses}`).join('，')}>
          {unit.uses.uses}
        </Tooltip>
      ),
    },
    {
      key: 'incidents',
      title: <Heading definition={find('incidents')} />,
      align: 'right',
      render: (_, unit) => (
        <span>
          {unit.incidents.per10k === null ? '—' : unit.incidents.per10k.toFixed(2)}
          <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 4 }}>
            {unit.incidents.total} 起/{unit.incidents.reads} 次
          </Typography.Text>
        </span>
      ),
    },
  ];
}

export default function KpiPage() {
  const { message } = App.useApp();
  const [filter, setFilter] = useState<KpiFilter>({});
  const kpi = useRequest(() => loadKpi(filter), [JSON.stringify(filter)]);
  const [busy, setBusy] = useState<string | null>(null);
  const fetchReport = async (format: 'xlsx' | 'pdf') => {
    setBusy(format);
    try {
      const year = kpi.data?.year ?? '';
      await download(`/api/v1/kpi/report?${reportQuery(filter, format)}`, `考核报告-${year}.${format}`);
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(null);
    }
  };
  const data = kpi.data;
  const definitions = data?.definitions ?? [];
  return (
    <div>
      <Typography.Title level={3}>考核指标</Typography.Title>
      <Card style={{ marginBottom: 16 }}>
        <Form
          layout="inline"
          onFinish={(values: { year?: number; fonds?: string; region?: string }) =>
            setFilter({
              year: values.year ? String(values.year) : undefined,
              fonds: values.fonds?.trim() || undefined,
              region: values.region?.trim() || undefined,
            })
          }
        >
          <Form.Item name="year" label="考核年度">
            <InputNumber min={2000} max={2100} placeholder="本年" style={{ width: 110 }} />
          </Form.Item>
          <Form.Item name="fonds" label="全宗号">
            <Input placeholder="全部" style={{ width: 100 }} maxLength={4} />
          </Form.Item>
          <Form.Item name="region" label="统筹区">
            <Input placeholder="如 3201" style={{ width: 110 }} maxLength={6} />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              查询
            </Button>
          </Form.Item>
          <Form.Item>
            <Space>
              <Button
                icon={<DownloadOutlined />}
                loading={busy === 'xlsx'}
                onClick={() => fetchReport('xlsx')}
              >
                考核报告 XLSX
              </Button>
              <Button icon={<DownloadOutlined />} loading={busy === 'pdf'} onClick={() => fetchReport('pdf')}>
                考核报告 PDF
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      {kpi.error ? (
        <ErrorNotice error={kpi.error} retry={kpi.reload} />
      ) : (
        <>
          <Card title={`${data?.year ?? ''}年度 · 立档单位`} style={{ marginBottom: 16 }}>
            <Table<KpiUnit>
              rowKey="code"
              size="small"
              loading={kpi.loading}
              columns={columns(definitions)}
              dataSource={data ? [...data.units, data.total] : []}
              pagination={false}
              scroll={{ x: 'max-content' }}
            />
          </Card>
          <Card title="统筹区" style={{ marginBottom: 16 }}>
            <Table<KpiUnit>
              rowKey="code"
              size="small"
              loading={kpi.loading}
              columns={columns(definitions)}
              dataSource={data?.regions ?? []}
              pagination={false}
              scroll={{ x: 'max-content' }}
            />
          </Card>
          <Card title="计算方法">
            <Table<KpiDefinition>
              rowKey="key"
              size="small"
              dataSource={definitions}
              pagination={false}
              columns={[
                { key: 'name', title: '指标', dataIndex: 'name', width: 110 },
                { key: 'numerator', title: '分子', dataIndex: 'numerator' },
                { key: 'denominator', title: '分母', dataIndex: 'denominator' },
                { key: 'method', title: '计算方法', dataIndex: 'method' },
              ]}
            />
            {data && (
              <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                归档及时期限：办理时间后 {data.timelyDays} 日；统计时间 {data.asOf}。只含计数，不含档案内容。
              </Typography.Paragraph>
            )}
          </Card>
        </>
      )}
    </div>
  );
}
