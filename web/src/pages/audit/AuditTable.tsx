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

const secondary = (text: string) => (
  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
    {text}
  </Typography.Text>
);

/**
 * An event's subject, kind:name: a short name (an item's 档号) is kept on one line after the kind,
 * a long one (a sequence's, a file's digest) breaks anywhere.
 */
function Subject({ value }: { value: string }) {
  const colon = value.indexOf(':');
  const name = value.slice(colon + 1);
  if (colon < 0 || name.length > 32) return <span style={{ wordBreak: 'break-all' }}>{value}</span>;
  return (
    <>
      {value.slice(0, colon + 1)}
      <wbr />
      <span style={{ whiteSpace: 'nowrap' }}>{name}</span>
    </>
  );
}

// Widths that fit a 1366-wide screen beside the sidebar; 目的 takes the rest. Who and from where
// share a cell, as an action's name and code do.
const columns: ColumnsType<AuditEntry> = [
  { title: '序号', dataIndex: 'seq', width: 64 },
  {
    title: '时间',
    dataIndex: 'recordedAt',
    width: 160,
    render: (iso: string) => <span style={{ whiteSpace: 'nowrap' }}>{beijingText(iso)}</span>,
  },
  {
    title: '操作人 / 来源地址',
    key: 'actor',
    width: 140,
    render: (_, entry) => (
      <>
        <div>{entry.actor}</div>
        {entry.address && <div style={{ wordBreak: 'break-all' }}>{secondary(entry.address)}</div>}
      </>
    ),
  },
  {
    title: '动作',
    key: 'action',
    width: 160,
    render: (_, entry) => {
      const label = entry.actionLabel !== entry.action ? entry.actionLabel : AUDIT_ACTION_NAMES[entry.action];
      return (
        <>
          {label ?? entry.action}
          <br />
          {secondary(entry.action)}
        </>
      );
    },
  },
  { title: '对象', dataIndex: 'subject', width: 240, render: (value: string) => <Subject value={value} /> },
  { title: '目的', dataIndex: 'purpose', render: (value: string | null) => value ?? '—' },
  {
    title: '追踪号',
    key: 'trace',
    width: 160,
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
        scroll={{ x: 1040 }}
      />
      <CursorPager pages={pages} label="审计记录翻页" />
    </>
  );
}
