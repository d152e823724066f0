import { Alert, App, Button, Card, DatePicker, Form, Select, Space, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { download } from '../../api/client';
import { useAuth } from '../../app/auth';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { namesOf } from '../../app/vocabulary';
import { Chart } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import { loadStats, loadUses, statsQuery, type UseEntry, type UseFilter, type UseStats } from './use-api';
import { UseEffectModal } from './UseEffectModal';

// 利用统计: uses counted by period (Beijing time) and by kind, category or department, with the
// workbook, for archivists and managers (use.stats); below, the 利用登记簿 itself — a borrower
// without use.stats sees their own uses there and records what each achieved.

const KIND_NAMES = namesOf((v) => v.values.useKind);
const PERIODS = [
  { value: 'month', label: '按月' },
  { value: 'quarter', label: '按季度' },
  { value: 'year', label: '按年' },
];
const DIMENSIONS = [
  { value: 'kind', label: '利用方式' },
  { value: 'category', label: '档案类别' },
  { value: 'department', label: '利用部门' },
  { value: 'none', label: '合计' },
];
const COLOURS = ['#1f5fbf', '#2f9e44', '#e8590c', '#7048e8', '#c2255c', '#0c8599', '#868e96'];

interface Values {
  range?: [Dayjs | null, Dayjs | null] | null;
  period: string;
  by: string;
  kind?: string;
}

function StatsChart({ stats }: { stats: UseStats }) {
  const option = useMemo(() => {
    const periods = [...new Set(stats.rows.map((row) => row.periodName))];
    const labels = [...new Set(stats.rows.map((row) => row.label))];
    return {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 8, right: 24, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: 'category', data: periods },
      yAxis: { type: 'value', minInterval: 1 },
      series: labels.map((label, index) => ({
        type: 'bar',
        stack: 'uses',
        name: label,
        itemStyle: { color: COLOURS[index % COLOURS.length] },
        data: periods.map(
          (period) => stats.rows.find((row) => row.periodName === period && row.label === label)?.uses ?? 0,
        ),
      })),
    };
  }, [stats]);
  return <Chart option={option} height={280} label="利用次数统计图" />;
}

function StatsPart({ filter }: { filter: UseFilter }) {
  const { message } = App.useApp();
  const stats = useRequest(() => loadStats(filter), [JSON.stringify(filter)]);
  const [exporting, setExporting] = useState(false);
  const exportXlsx = async () => {
    setExporting(true);
    try {
      await download(`/api/v1/use/stats.xlsx?${statsQuery(filter)}`, '利用统计.xlsx');
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setExporting(false);
    }
  };
  if (stats.error) return <ErrorNotice error={stats.error} retry={stats.reload} />;
  const data = stats.data;
  return (
    <Card
      title="利用统计"
      extra={
        <Button onClick={() => void exportXlsx()} loading={exporting}>
          导出 XLSX
        </Button>
      }
      style={{ marginBottom: 16 }}
    >
      {data && data.rows.length > 0 && <StatsChart stats={data} />}
      <Table
        size="small"
        rowKey={(row) => `${row.period}-${row.key ?? ''}`}
        loading={stats.loading}
        dataSource={data?.rows ?? []}
        pagination={false}
        locale={{ emptyText: '所选范围内没有利用登记' }}
        columns={[
          { title: '统计期间', dataIndex: 'periodName' },
          { title: DIMENSIONS.find((d) => d.value === (filter.by ?? 'kind'))?.label, dataIndex: 'label' },
          { title: '利用次数', dataIndex: 'uses', align: 'right' },
          { title: '利用档案件数', dataIndex: 'items', align: 'right' },
          { title: '已记录利用效果', dataIndex: 'effects', align: 'right' },
        ]}
        summary={() =>
          data ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>合计</Table.Summary.Cell>
              <Table.Summary.Cell index={1} />
              <Table.Summary.Cell index={2} align="right">
                <span data-testid="use-total">{data.total.uses}</span>
              </Table.Summary.Cell>
              <Table.Summary.Cell index={3} />
              <Table.Summary.Cell index={4} align="right">
                {data.total.effects}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          ) : null
        }
      />
    </Card>
  );
}

function RegisterPart({ filter }: { filter: UseFilter }) {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  const [editing, setEditing] = useState<UseEntry | null>(null);
  const before = stack[stack.length - 1];
  const page = useRequest(() => loadUses(filter, before), [JSON.stringify(filter), before]);
  if (page.error) return <ErrorNotice error={page.error} retry={page.reload} />;
  const next = page.data?.nextBefore ?? null;
  return (
    <Card title="利用登记簿">
      <Table
        size="small"
        rowKey={(row) => `${row.seq}.${row.ordinal}`}
        loading={page.loading}
        dataSource={page.data?.uses ?? []}
        pagination={false}
        locale={{ emptyText: '没有利用登记' }}
        columns={[
          {
            title: '利用时间',
            dataIndex: 'usedAt',
            width: 110,
            render: (value: string) => beijingText(value),
          },
          { title: '方式', dataIndex: 'kindName', width: 80 },
          { title: '利用者', dataIndex: 'who', width: 120 },
          { title: '利用部门', dataIndex: 'department', width: 120 },
          {
            title: '档号 / 题名',
            render: (_: unknown, row: UseEntry) => (
              <div>
                <div>{row.archiveCode ?? row.detail ?? '—'}</div>
                {row.title && <Typography.Text type="secondary">{row.title}</Typography.Text>}
              </div>
            ),
          },
          { title: '目的', dataIndex: 'purpose', width: 110, render: (value: string | null) => value ?? '—' },
          {
            title: '借阅单号',
            dataIndex: 'loanNumber',
            width: 120,
            render: (value: string | null) => value ?? '—',
          },
          {
            title: '利用效果',
            width: 110,
            render: (_: unknown, row: UseEntry) => (
              <Space orientation="vertical" size={0}>
                <span>{row.effectName ?? '未记录'}</span>
                {row.mayRecordEffect && (
                  <Button size="small" type="link" style={{ padding: 0 }} onClick={() => setEditing(row)}>
                    记录利用效果
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <nav aria-label="利用登记翻页" style={{ display: 'flex', justifyContent: 'flex-end', marginTop: 12 }}>
        <Space>
          <Button disabled={stack.length === 1 || page.loading} onClick={() => setStack(stack.slice(0, -1))}>
            上一页
          </Button>
          <Typography.Text>第 {stack.length} 页</Typography.Text>
          <Button disabled={next === null || page.loading} onClick={() => next && setStack([...stack, next])}>
            下一页
          </Button>
        </Space>
      </nav>
      <UseEffectModal
        entry={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          page.reload();
        }}
      />
    </Card>
  );
}

export default function UseStatsPage() {
  const { can } = useAuth();
  const [form] = Form.useForm<Values>();
  const [filter, setFilter] = useState<UseFilter>({ period: 'month', by: 'kind' });
  const apply = (values: Values) =>
    setFilter({
      from: values.range?.[0]?.format('YYYY-MM-DD'),
      to: values.range?.[1]?.format('YYYY-MM-DD'),
      kind: values.kind,
      period: values.period,
      by: values.by,
    });
  return (
    <>
      <Typography.Title level={3}>利用统计</Typography.Title>
      {!can('use.stats') && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title="以下是您本人的利用登记。统计与导出由档案员、管理人员查看。"
        />
      )}
      <Form
        form={form}
        layout="inline"
        initialValues={{ period: 'month', by: 'kind' }}
        onFinish={apply}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="range" label="利用日期">
          <DatePicker.RangePicker aria-label="利用日期" />
        </Form.Item>
        <Form.Item name="kind" label="利用方式">
          <Select
            allowClear
            style={{ width: 130 }}
            aria-label="利用方式"
            options={Object.entries(KIND_NAMES).map(([value, label]) => ({ value, label }))}
          />
        </Form.Item>
        {can('use.stats') && (
          <>
            <Form.Item name="period" label="统计周期">
              <Select style={{ width: 110 }} aria-label="统计周期" options={PERIODS} />
            </Form.Item>
            <Form.Item name="by" label="统计维度">
              <Select style={{ width: 120 }} aria-label="统计维度" options={DIMENSIONS} />
            </Form.Item>
          </>
        )}
        <Form.Item>
          <Button type="primary" htmlType="submit">
            查询
          </Button>
        </Form.Item>
      </Form>
      {can('use.stats') && <StatsPart filter={filter} />}
      <RegisterPart filter={filter} />
    </>
  );
}
