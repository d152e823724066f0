import { Alert, Button, Card, DatePicker, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { Chart } from '../../components/Chart';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  type AnomalyFilter,
  type AnomalyFlag,
  type GroupCluster,
  loadAnomalies,
  loadGroups,
  MEASURE_OPTIONS,
  type PeerGroup,
} from './anomaly-api';

// 异常机构: institutions (or people) far from their peers of the same level and 统筹区, each flag
// with its explanation; the chart shows the chosen flag's measure against every peer of its group
// with the peer median; below, the 高风险群体 told in words and counts, members masked.

interface Values {
  kind: string;
  range?: [Dayjs | null, Dayjs | null] | null;
  region?: string;
  measure?: string;
}

const groupKey = (flag: { measure: string; level: string | null; region: string }) =>
  `${flag.measure}|${flag.level ?? ''}|${flag.region}`;

function PeerChart({ group, highlight }: { group: PeerGroup; highlight: string }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category',
        data: group.members.map((member) => member.name),
        axisLabel: { rotate: 30 },
      },
      yAxis: { type: 'value', name: group.measureName },
      series: [
        {
          type: 'bar',
          name: group.measureName,
          data: group.members.map((member) => ({
            value: member.value,
            itemStyle: {
              color: member.subject === highlight ? '#c92a2a' : member.flagged ? '#e8590c' : '#1f5fbf',
            },
          })),
          markLine: {
            symbol: 'none',
            label: { formatter: '同组中位数', position: 'insideEndTop' },
            data: [{ yAxis: group.median }],
          },
        },
      ],
    }),
    [group, highlight],
  );
  return (
    <div data-testid="peer-chart">
      <Typography.Text type="secondary">
        {group.measureName}：同级（{group.level}）同统筹区（{group.region}）{group.members.length}{' '}
        家机构，红色为所选机构， 橙色为其他标记机构
      </Typography.Text>
      <Chart option={option} height={260} label={`${group.measureName}与同组机构比较图`} />
    </div>
  );
}

function FlagsPart({ filter }: { filter: AnomalyFilter }) {
  const report = useRequest(() => loadAnomalies(filter), [JSON.stringify(filter)]);
  const [chosen, setChosen] = useState<AnomalyFlag | null>(null);
  if (report.error) return <ErrorNotice error={report.error} retry={report.reload} />;
  const data = report.data;
  const selected = chosen ?? data?.flags.find((flag) => flag.kind === 'institution') ?? null;
  const group = selected
    ? data?.peerGroups.find((entry) => groupKey(entry) === groupKey(selected))
    : undefined;
  return (
    <Card title={`${data?.kindName ?? '医疗机构'}异常`} style={{ marginBottom: 16 }}>
      {data && (
        <Typography.Paragraph type="secondary">
          {data.from} 至 {data.to}：{data.subjects} 个对象，标记{' '}
          <span data-testid="flag-count">{data.flagged}</span> 项。{data.note}
        </Typography.Paragraph>
      )}
      {group && selected && <PeerChart group={group} highlight={selected.subject} />}
      <div data-testid="anomaly-table">
        <Table
          size="small"
          rowKey={(row) => `${row.subject}|${row.measure}|${row.region}`}
          loading={report.loading}
          dataSource={data?.flags ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: '所选范围内没有偏离同组的对象' }}
          onRow={(row) => ({
            onClick: () => setChosen(row),
            style: { cursor: row.kind === 'institution' ? 'pointer' : undefined },
          })}
          columns={[
            {
              title: data?.kind === 'person' ? '参保人' : '机构',
              width: 170,
              render: (_: unknown, row: AnomalyFlag) => (
                <div>
                  <div style={{ whiteSpace: 'nowrap' }}>{row.subject}</div>
                  {row.kind === 'institution' && (
                    <Typography.Text type="secondary">{row.name}</Typography.Text>
                  )}
                </div>
              ),
            },
            { title: '等级', dataIndex: 'level', width: 70, render: (value: string | null) => value ?? '—' },
            { title: '统筹区', dataIndex: 'region', width: 80 },
            { title: '指标', dataIndex: 'measureName', width: 130 },
            {
              title: '稳健分数',
              dataIndex: 'score',
              width: 90,
              align: 'right',
              render: (value: number) => value.toFixed(1),
            },
            { title: '说明', dataIndex: 'explanation' },
          ]}
        />
      </div>
      {data && data.unscored.length > 0 && (
        <Alert
          style={{ marginTop: 12 }}
          type="info"
          showIcon
          title={`未评分的同组（${data.unscored.length}）`}
          description={
            <ul style={{ margin: 0, paddingLeft: 18 }} data-testid="unscored">
              {data.unscored.slice(0, 20).map((entry) => (
                <li key={`${entry.measure}|${entry.level}|${entry.region}`}>
                  {entry.measureName}（统筹区 {entry.region}）：{entry.reason}
                </li>
              ))}
            </ul>
          }
        />
      )}
    </Card>
  );
}

function GroupsPart({ filter }: { filter: { from?: string; to?: string; region?: string } }) {
  const report = useRequest(() => loadGroups(filter), [JSON.stringify(filter)]);
  if (report.error) return <ErrorNotice error={report.error} retry={report.reload} />;
  const data = report.data;
  return (
    <Card title="高风险群体">
      {data && (
        <Typography.Paragraph type="secondary">
          {data.from} 至 {data.to}：{data.persons} 名参保人。{data.note}
          {data.clustered &&
            `。特征：${data.features.map((feature) => feature.name).join('、')}；${data.kRule}`}
        </Typography.Paragraph>
      )}
      <div data-testid="group-table">
        <Table
          size="small"
          rowKey="id"
          loading={report.loading}
          dataSource={data?.clusters ?? []}
          pagination={false}
          locale={{ emptyText: '人数不足，未做聚类' }}
          expandable={{
            expandedRowRender: (row: GroupCluster) => (
              <Typography.Text>
                成员（脱敏，距群体中心由近到远，前 {row.members.length} 人）：{row.members.join('、') || '—'}
              </Typography.Text>
            ),
          }}
          columns={[
            { title: '序号', dataIndex: 'id', width: 60 },
            {
              title: '风险',
              dataIndex: 'risk',
              width: 80,
              render: (value: string) => <Tag color={value === '高风险' ? 'red' : 'default'}>{value}</Tag>,
            },
            { title: '人数', dataIndex: 'size', width: 70, align: 'right' },
            { title: '描述', dataIndex: 'description' },
          ]}
        />
      </div>
    </Card>
  );
}

export default function AnomalyPage() {
  // The query lives in the address, so a filtered view can be linked to and reloaded.
  const [params, setParams] = useSearchParams();
  const filter: AnomalyFilter = Object.fromEntries(
    // threshold, minPeers and minVolume are taken from a link only (the form keeps to the common choices).
    ['kind', 'from', 'to', 'region', 'measure', 'threshold', 'minPeers', 'minVolume'].flatMap((key) => {
      const value = params.get(key);
      return value ? [[key, value]] : [];
    }),
  );
  const [form] = Form.useForm<Values>();
  const apply = (values: Values) =>
    setParams(
      Object.fromEntries(
        Object.entries({
          kind: values.kind,
          from: values.range?.[0]?.format('YYYY-MM-DD'),
          to: values.range?.[1]?.format('YYYY-MM-DD'),
          region: values.region?.trim(),
          measure: values.measure,
        }).filter((entry): entry is [string, string] => Boolean(entry[1])),
      ),
    );
  const initial: Values = {
    kind: filter.kind ?? 'institution',
    range: filter.from && filter.to ? [dayjs(filter.from), dayjs(filter.to)] : null,
    region: filter.region,
    measure: filter.measure,
  };
  const { from, to, region } = filter;
  return (
    <>
      <Typography.Title level={3}>异常机构</Typography.Title>
      <Card style={{ marginBottom: 16 }}>
        <Form form={form} layout="inline" initialValues={initial} onFinish={apply}>
          <Form.Item name="kind" label="对象">
            <Select
              style={{ width: 120 }}
              aria-label="对象"
              options={[
                { value: 'institution', label: '医疗机构' },
                { value: 'person', label: '参保人' },
              ]}
            />
          </Form.Item>
          <Form.Item name="range" label="结算日期">
            <DatePicker.RangePicker />
          </Form.Item>
          <Form.Item name="region" label="统筹区">
            <Input style={{ width: 110 }} placeholder="如 320115" maxLength={6} aria-label="统筹区" />
          </Form.Item>
          <Form.Item name="measure" label="指标">
            <Select
              style={{ width: 160 }}
              allowClear
              placeholder="全部指标"
              aria-label="指标"
              options={MEASURE_OPTIONS}
            />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit">
                查询
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      <FlagsPart filter={{ kind: 'institution', ...filter }} />
      <GroupsPart filter={{ from, to, region }} />
    </>
  );
}
