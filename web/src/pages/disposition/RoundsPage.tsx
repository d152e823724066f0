import { Card, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { appraisalPaths, type Round, type RoundList, roundPath } from './appraisalView';
import { getJson } from './dispositionApi';
import { ROUND_STATE_NAMES } from './names';

// 鉴定批次: the rounds of the user's fonds, newest first; a round is opened from 到期档案.

const columns: ColumnsType<Round> = [
  {
    title: '批次编号',
    dataIndex: 'code',
    width: 190,
    render: (code: string) => <Link to={roundPath(code)}>{code}</Link>,
  },
  { title: '批次名称', dataIndex: 'title', ellipsis: true },
  {
    title: '鉴定小组',
    key: 'members',
    render: (_, round) =>
      round.members.map((member) => `${member.username}${member.isLead ? '（组长）' : ''}`).join('、'),
  },
  {
    title: '件数',
    key: 'count',
    width: 120,
    render: (_, round) => (
      <>
        <div>{round.itemCount} 件</div>
        {round.decidedCount !== undefined ? (
          <Typography.Text type="secondary">已决定 {round.decidedCount}</Typography.Text>
        ) : null}
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
  const rounds = useRequest(() => getJson<RoundList>(appraisalPaths.rounds), []);
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
