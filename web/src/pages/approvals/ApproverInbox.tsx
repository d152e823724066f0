import { Badge, Button, Radio, Space, Table, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { QueryOf } from '../../api/types';
import { REQUEST_STATUS_NAMES } from '../../app/labels';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CursorPager, useCursorPages } from '../audit/cursor';
import { type Decision, DecisionModal } from './DecisionModal';
import { type AccessRequest, durationText, formatTime, ItemCodes, StatusDetail } from './requestView';

// The 安全保密员's inbox: pending requests first (审批待办), decided ones in 已处理 with 收回 for grants
// still running. The server lists every request to access.grant holders, newest first.

type Status = NonNullable<QueryOf<'/api/v1/access-requests', 'get'>['status']>;
const PAGE = 20;
const DECIDED: Status[] = ['approved', 'rejected', 'revoked', 'withdrawn'];
/** The decided requests' filter, named by the server's request statuses. */
const decidedFilters = (): Array<{ value: Status | 'all'; label: string }> => [
  ...DECIDED.map((value) => ({ value, label: REQUEST_STATUS_NAMES[value] ?? value })),
  { value: 'all', label: '全部' },
];

function useRequests(status: Status | undefined) {
  return useCursorPages(
    async (before) => {
      const answer = await unwrap(
        api.GET('/api/v1/access-requests', { params: { query: { status, before, limit: PAGE } } }),
      );
      return { rows: answer.requests, next: answer.nextBefore };
    },
    [status],
  );
}

function baseColumns(): ColumnsType<AccessRequest> {
  return [
    { title: '编号', dataIndex: 'id', width: 70 },
    {
      title: '申请人',
      key: 'requester',
      width: 140,
      render: (_, row) => (
        <>
          {row.requesterName}
          <br />
          <Typography.Text type="secondary">{row.requester}</Typography.Text>
        </>
      ),
    },
    {
      title: '档号',
      key: 'items',
      width: 300,
      render: (_, row) => <ItemCodes request={row} linked={false} />,
    },
    { title: '查阅目的', dataIndex: 'purpose' },
    { title: '期限', dataIndex: 'hours', width: 90, render: (hours: number) => durationText(hours) },
    { title: '申请时间', dataIndex: 'createdAt', width: 150, render: (iso: string) => formatTime(iso) },
  ];
}

export function ApproverInbox() {
  const [tab, setTab] = useState<'pending' | 'decided'>('pending');
  const [filter, setFilter] = useState<Status | 'all'>('approved');
  const [deciding, setDeciding] = useState<{ request: AccessRequest; decision: Decision }>();
  const pending = useRequests('pending');
  const decided = useRequests(filter === 'all' ? undefined : filter);
  const pendingCount = pending.data?.rows.length ?? 0;

  const reloadBoth = () => {
    pending.reload();
    decided.reload();
  };

  const pendingColumns: ColumnsType<AccessRequest> = [
    ...baseColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 150,
      render: (_, row) => (
        <Space>
          <Button
            type="primary"
            size="small"
            onClick={() => setDeciding({ request: row, decision: 'approve' })}
          >
            批准
          </Button>
          <Button danger size="small" onClick={() => setDeciding({ request: row, decision: 'reject' })}>
            驳回
          </Button>
        </Space>
      ),
    },
  ];
  const decidedColumns: ColumnsType<AccessRequest> = [
    ...baseColumns(),
    { title: '状态', key: 'status', width: 220, render: (_, row) => <StatusDetail request={row} /> },
    {
      title: '操作',
      key: 'actions',
      width: 80,
      render: (_, row) =>
        row.status === 'approved' ? (
          <Button size="small" danger onClick={() => setDeciding({ request: row, decision: 'revoke' })}>
            收回
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <Tabs
        activeKey={tab}
        onChange={(key) => setTab(key as 'pending' | 'decided')}
        items={[
          {
            key: 'pending',
            label: (
              <Space size={6}>
                审批待办
                <Badge count={pending.hasNext ? `${pendingCount}+` : pendingCount} showZero={false} />
              </Space>
            ),
            children: (
              <>
                <ErrorNotice error={pending.error} retry={pending.reload} />
                <Table<AccessRequest>
                  rowKey="id"
                  size="middle"
                  loading={pending.loading}
                  columns={pendingColumns}
                  dataSource={pending.data?.rows ?? []}
                  pagination={false}
                  locale={{ emptyText: '没有待审批的查阅申请' }}
                />
                <CursorPager pages={pending} label="待审批翻页" />
              </>
            ),
          },
          {
            key: 'decided',
            label: '已处理',
            children: (
              <>
                <Space style={{ marginBottom: 16 }}>
                  <Typography.Text id="decided-filter-label">状态</Typography.Text>
                  <Radio.Group
                    aria-labelledby="decided-filter-label"
                    optionType="button"
                    value={filter}
                    options={decidedFilters()}
                    onChange={(event) => setFilter(event.target.value as Status | 'all')}
                  />
                </Space>
                <ErrorNotice error={decided.error} retry={decided.reload} />
                <Table<AccessRequest>
                  rowKey="id"
                  size="middle"
                  loading={decided.loading}
                  columns={decidedColumns}
                  dataSource={decided.data?.rows ?? []}
                  pagination={false}
                  locale={{ emptyText: '没有记录' }}
                />
                <CursorPager pages={decided} label="已处理翻页" />
              </>
            ),
          },
        ]}
      />
      {deciding && (
        <DecisionModal
          request={deciding.request}
          decision={deciding.decision}
          onClose={() => setDeciding(undefined)}
          onDone={reloadBoth}
        />
      )}
    </>
  );
}
