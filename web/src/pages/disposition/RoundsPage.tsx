import { Card, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { appraisalPaths, type RoundEntry, roundPath } from './appraisalView';
import { getJson } from './dispositionApi';
import { ROUND_STATE_NAMES } from './names';

// 鉴定批次: the rounds of the user's fonds, newest first; a round is opened from 到期档案.

const columns: ColumnsType<RoundEntry> = [
  {
    title: '批次编号',
    dataIndex: 'code',
    width: 190,
    render: (code: string) => <Link to={roundPath(code)}>{code}</Link>,
  },
  { title: '批次名称', dataIndex: 'title', ellipsis: true },
  { title: '组长', dataIndex: 'lead', width: 120 },
  {
    title: '件数',
    key: 'count',
    width: 170,
    render: (_, round) => (
      <>
        <div>{round.items} 件</div>
        <Typography.Text type="secondary">
          销毁 {round.destroy} · 继续保存 {round.keep} · 未决 {round.items - round.destroy - round.keep}
        </Typography.Text>
      </>
    ),
  },
  {
    title: '状态',
    dataIndex: 'status',
    width: 90,
    render: (status: string) => (
      <Tag color={status === 'open' ? 'blue' : 'default'}>{ROUND_STATE_NAMES[status] ?? status}</Tag>
    ),
  },
  {
    title: '开始',
    key: 'opened',
    width: 160,
    render: (_, round) => (
      <>
        <div>{beijingText(round.openedAt, 'minute')}</div>
        <Typography.Text type="secondary">{round.openedBy}</Typography.Text>
      </>
    ),
  },
];

export default function RoundsPage() {
  const rounds = useRequest(() => getJson<{ rounds: RoundEntry[] }>(appraisalPaths.rounds), []);
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          鉴定批次
        </Typography.Title>
      }
    >
      <ErrorNotice error={rounds.error} retry={rounds.reload} />
      <Table
        data-testid="rounds-table"
        rowKey="code"
        size="middle"
        loading={rounds.loading}
        columns={columns}
        dataSource={rounds.data?.rounds ?? []}
        locale={{ emptyText: '还没有鉴定批次：请从到期档案开始鉴定' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
    </Card>
  );
}
