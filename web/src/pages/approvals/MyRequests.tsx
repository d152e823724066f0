import { Alert, App, Button, Popconfirm, Select, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { QueryOf } from '../../api/types';
import { asApiError } from '../../app/hooks';
import { REQUEST_STATUS_NAMES } from '../../app/labels';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CursorPager, useCursorPages } from '../audit/cursor';
import { type AccessRequest, durationText, formatTime, ItemCodes, StatusDetail } from './requestView';

// 我的申请: a reader's own requests to read sensitive items, what became of them, 撤回 while still
// pending, and the way to the items once approved. Requests are made from an item's page.

type Status = NonNullable<QueryOf<'/api/v1/access-requests', 'get'>['status']>;
const PAGE = 20;
const STATUS_OPTIONS = (['pending', 'approved', 'rejected', 'revoked', 'withdrawn'] as const).map(
  (value) => ({
    value,
    label: REQUEST_STATUS_NAMES[value],
  }),
);

export function MyRequests() {
  const { message } = App.useApp();
  const [status, setStatus] = useState<Status>();
  const [withdrawing, setWithdrawing] = useState<number>();
  const pages = useCursorPages(
    async (before) => {
      const answer = await unwrap(
        api.GET('/api/v1/access-requests', {
          params: { query: { mine: true, status, before, limit: PAGE } },
        }),
      );
      return { rows: answer.requests, next: answer.nextBefore };
    },
    [status],
  );

  const withdraw = async (request: AccessRequest) => {
    setWithdrawing(request.id);
    try {
      await unwrap(
        api.POST('/api/v1/access-requests/{id}/withdraw', { params: { path: { id: request.id } } }),
      );
      message.success(`已撤回查阅申请 ${request.id}`);
      pages.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setWithdrawing(undefined);
    }
  };

  const columns: ColumnsType<AccessRequest> = [
    { title: '编号', dataIndex: 'id', width: 70 },
    {
      title: '档号',
      key: 'items',
      render: (_, row) => <ItemCodes request={row} linked={row.status === 'approved'} />,
    },
    { title: '查阅目的', dataIndex: 'purpose' },
    { title: '期限', dataIndex: 'hours', width: 90, render: (hours: number) => durationText(hours) },
    { title: '申请时间', dataIndex: 'createdAt', width: 150, render: (iso: string) => formatTime(iso) },
    { title: '状态', key: 'status', width: 240, render: (_, row) => <StatusDetail request={row} /> },
    {
      title: '操作',
      key: 'actions',
      width: 110,
      render: (_, row) =>
        row.status === 'pending' ? (
          <Popconfirm
            title={`撤回查阅申请 ${row.id}？`}
            description="撤回后安全保密员将不再审批此申请"
            okText="撤回"
            cancelText="取消"
            onConfirm={() => withdraw(row)}
          >
            <Button size="small" loading={withdrawing === row.id}>
              撤回
            </Button>
          </Popconfirm>
        ) : row.status === 'approved' && row.items[0] ? (
          <Link to={`/items/${encodeURIComponent(row.items[0].archiveCode)}`}>打开档案</Link>
        ) : null,
    },
  ];

  return (
    <>
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        title="查阅敏感档案须经安全保密员批准"
        description={
          <>
            在 <Link to="/items">档案管理</Link>{' '}
            中打开敏感档案，点击“申请查阅”并写明用途。批准后在有效期内可查阅，到期自动失效。
          </>
        }
      />
      <Space style={{ marginBottom: 16 }}>
        <Typography.Text id="my-status-label">状态</Typography.Text>
        <Select<Status>
          aria-labelledby="my-status-label"
          allowClear
          placeholder="全部"
          style={{ width: 140 }}
          value={status}
          options={STATUS_OPTIONS}
          onChange={(value) => setStatus(value)}
        />
      </Space>
      <ErrorNotice error={pages.error} retry={pages.reload} />
      <Table<AccessRequest>
        rowKey="id"
        size="middle"
        loading={pages.loading}
        columns={columns}
        dataSource={pages.data?.rows ?? []}
        pagination={false}
        locale={{ emptyText: '还没有查阅申请' }}
      />
      <CursorPager pages={pages} label="我的申请翻页" />
    </>
  );
}
