import { Descriptions, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ResponseOf } from '../../api/types';
import { AUDIT_ACTION_NAMES } from '../../app/labels';
import { beijingText } from '../../app/time';
import { CursorPager, type CursorPages } from './cursor';

// The trail as a table; a row opens to the event's full record (the payload the log hashed).

export type AuditEntry = ResponseOf<'/api/v1/audit/events', 'get'>['entries'][number];

const traceOf = (entry: AuditEntry): string | undefined =>
  typeof entry.payload.traceId === 'string' ? entry.payload.traceId : undefined;

const columns: ColumnsType<AuditEntry> = [
  { title: '序号', dataIndex: 'seq', width: 80 },
  {
    title: '时间',
    dataIndex: 'recordedAt',
    width: 170,
    render: (iso: string) => beijingText(iso),
  },
  { title: '操作人', dataIndex: 'actor', width: 120 },
  {
    title: '动作',
    key: 'action',
    width: 190,
    render: (_, entry) => {
      const label = entry.actionLabel !== entry.action ? entry.actionLabel : AUDIT_ACTION_NAMES[entry.action];
      return (
        <>
          {label ?? entry.action}
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {entry.action}
          </Typography.Text>
        </>
      );
    },
  },
  {
    title: '对象',
    dataIndex: 'subject',
    width: 260,
    render: (value: string) => <span style={{ wordBreak: 'break-all' }}>{value}</span>,
  },
  { title: '目的', dataIndex: 'purpose', width: 180, render: (value: string | null) => value ?? '—' },
  { title: '来源地址', dataIndex: 'address', width: 130, render: (value: string | null) => value ?? '—' },
  {
    title: '追踪号',
    key: 'trace',
    width: 150,
    render: (_, entry) => {
      const trace = traceOf(entry);
      return trace ? <Typography.Text copyable>{trace}</Typography.Text> : '—';
    },
  },
];

function Details({ entry }: { entry: AuditEntry }) {
  return (
    <Descriptions size="small" column={2} bordered>
      <Descriptions.Item label="事件序号">{entry.seq}</Descriptions.Item>
      <Descriptions.Item label="授权单号">{entry.grantId ?? '—'}</Descriptions.Item>
      <Descriptions.Item label="对象" span={2}>
        {entry.subject}
      </Descriptions.Item>
      <Descriptions.Item label="详情（日志原文）" span={2}>
        <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>
          {JSON.stringify(entry.payload, null, 2)}
        </pre>
      </Descriptions.Item>
    </Descriptions>
  );
}

export function AuditTable({ pages }: { pages: CursorPages<AuditEntry> }) {
  return (
    <>
      <Table<AuditEntry>
        rowKey="seq"
        size="small"
        loading={pages.loading}
        columns={columns}
        dataSource={pages.data?.rows ?? []}
        pagination={false}
        expandable={{ expandedRowRender: (entry) => <Details entry={entry} /> }}
        locale={{ emptyText: '没有符合条件的审计记录' }}
        scroll={{ x: 1100 }}
      />
      <CursorPager pages={pages} label="审计记录翻页" />
    </>
  );
}
