import { Card, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { registerPath, roundPath } from './appraisalView';
import { type RegisterBrief, registerPaths } from './destructionView';
import { getJson } from './dispositionApi';

// 销毁清册: the registers of the user's fonds, newest first; one is drawn from a round's items decided
// 销毁 (鉴定批次), then signed, approved, carried out and filed.

export const registerColour = (state: string) =>
  state === 'drawn'
    ? 'gold'
    : state === 'approved'
      ? 'blue'
      : state === 'carrying'
        ? 'processing'
        : state === 'withdrawn'
          ? 'default'
          : 'green';

const columns: ColumnsType<RegisterBrief> = [
  {
    title: '清册编号',
    dataIndex: 'code',
    width: 190,
    render: (code: string) => <Link to={registerPath(code)}>{code}</Link>,
  },
  { title: '全宗', dataIndex: 'fonds', width: 70 },
  {
    title: '鉴定批次',
    dataIndex: 'round',
    width: 190,
    render: (round: string) => <Link to={roundPath(round)}>{round}</Link>,
  },
  { title: '件数', dataIndex: 'count', width: 70 },
  {
    title: '状态',
    key: 'state',
    width: 170,
    render: (_, register) => <Tag color={registerColour(register.state)}>{register.stateLabel}</Tag>,
  },
  {
    title: '编制',
    key: 'drawn',
    width: 160,
    render: (_, register) => (
      <>
        <div>{beijingText(register.drawnAt, 'minute')}</div>
        <Typography.Text type="secondary">{register.drawnBy}</Typography.Text>
      </>
    ),
  },
];

export default function RegistersPage() {
  const registers = useRequest(() => getJson<{ registers: RegisterBrief[] }>(registerPaths.list), []);
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          销毁清册
        </Typography.Title>
      }
    >
      <ErrorNotice error={registers.error} retry={registers.reload} />
      <Table
        data-testid="registers-table"
        rowKey="code"
        size="middle"
        loading={registers.loading}
        columns={columns}
        dataSource={registers.data?.registers ?? []}
        locale={{ emptyText: '还没有销毁清册：请在鉴定批次中编制' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
    </Card>
  );
}
