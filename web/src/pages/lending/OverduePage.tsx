import { Button, Card, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 逾期: paper loans out past their 应还日, the longest overdue first, within the archivist's scope —
// who has them, which 档号 are still out, and the last reminder the system sent.

type Page = ResponseOf<'/api/v1/loans/overdue', 'get'>;
type OverdueLoan = Page['loans'][number];
const PAGE = 50;

const reminderText = (offset: number) =>
  offset > 0 ? `逾期 ${offset} 天提醒` : offset === 0 ? '到期日提醒' : `到期前 ${-offset} 天提醒`;

const columns: ColumnsType<OverdueLoan> = [
  { title: '借阅单号', dataIndex: 'loanNo', width: 140 },
  {
    title: '借阅人',
    key: 'borrower',
    render: (_, loan) =>
      loan.borrower.organisation ? (
        <>
          <div>{loan.borrower.organisation}</div>
          <Typography.Text type="secondary">介绍信 {loan.borrower.letterNo}</Typography.Text>
        </>
      ) : (
        loan.borrower.user
      ),
  },
  { title: '应还日', dataIndex: 'dueOn', width: 110 },
  {
    title: '逾期天数',
    dataIndex: 'daysOverdue',
    width: 100,
    render: (days: number) => <Tag color={days >= 30 ? 'red' : days >= 7 ? 'orange' : 'gold'}>{days} 天</Tag>,
  },
  {
    title: '未还档号',
    key: 'items',
    render: (_, loan) => (
      <Space direction="vertical" size={0}>
        {loan.items.map((code) => (
          <Link key={code} to={itemPath(code)}>
            {code}
          </Link>
        ))}
      </Space>
    ),
  },
  {
    title: '出库',
    key: 'handedOver',
    width: 170,
    render: (_, loan) => (
      <>
        <div>{beijingText(loan.handedOverAt, 'minute')}</div>
        <Typography.Text type="secondary">{loan.handedOverBy}</Typography.Text>
      </>
    ),
  },
  {
    title: '续借',
    key: 'renewals',
    width: 80,
    render: (_, loan) => `${loan.renewals}/${loan.renewalsAllowed}`,
  },
  {
    title: '最近提醒',
    key: 'reminder',
    width: 170,
    render: (_, loan) =>
      loan.lastReminder ? (
        <>
          <div>{reminderText(loan.lastReminder.offset)}</div>
          <Typography.Text type="secondary">
            {beijingText(loan.lastReminder.sentAt, 'minute')}
          </Typography.Text>
        </>
      ) : (
        '—'
      ),
  },
];

export default function OverduePage() {
  const [minDays, setMinDays] = useState(1);
  // The cursors passed, to go back a page; the last one is the page shown.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const request = useRequest(
    () => unwrap(api.GET('/api/v1/loans/overdue', { params: { query: { minDays, limit: PAGE, cursor } } })),
    [minDays, cursor],
  );
  const page = request.data;
  // The total comes with the first page; later pages keep it.
  const [counted, setCounted] = useState<{ total: number; atLeast: boolean }>();
  useEffect(() => {
    if (page && page.total !== null) setCounted({ total: page.total, atLeast: page.totalAtLeast });
  }, [page]);
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          逾期
        </Typography.Title>
      }
      extra={
        <Space>
          <span>逾期</span>
          <Select
            aria-label="至少逾期天数"
            value={minDays}
            style={{ width: 120 }}
            onChange={(value) => {
              setMinDays(value);
              setCursors([undefined]);
            }}
            options={[
              { value: 1, label: '1 天以上' },
              { value: 7, label: '7 天以上' },
              { value: 30, label: '30 天以上' },
            ]}
          />
        </Space>
      }
    >
      <ErrorNotice error={request.error} retry={request.reload} />
      {page && counted && (
        <Typography.Paragraph>
          截至 {page.today}，您范围内逾期未还的借阅单共{' '}
          <Typography.Text strong>{`${counted.total}${counted.atLeast ? '+' : ''}`}</Typography.Text> 笔。
        </Typography.Paragraph>
      )}
      <Table
        rowKey="loanNo"
        size="middle"
        loading={request.loading}
        columns={columns}
        dataSource={page?.loans ?? []}
        locale={{ emptyText: '没有逾期的借阅' }}
        pagination={false}
      />
      <nav
        aria-label="逾期清单翻页"
        style={{ display: 'flex', justifyContent: 'flex-end', gap: 8, marginTop: 16 }}
      >
        <Button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          上一页
        </Button>
        <span style={{ lineHeight: '32px' }}>第 {cursors.length} 页</span>
        <Button disabled={!page?.next} onClick={() => page?.next && setCursors([...cursors, page.next])}>
          下一页
        </Button>
      </nav>
    </Card>
  );
}
