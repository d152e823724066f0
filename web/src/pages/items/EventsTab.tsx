import { SafetyOutlined } from '@ant-design/icons';
import { Button, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { AUDIT_ACTION_NAMES } from '../../app/labels';
import { ErrorNotice } from '../../components/ErrorNotice';
import { dateTime, FIELD_LABELS } from './itemFields';
import { ProofModal } from './ProofModal';

// 事件: what the tamper-evident log recorded about this item (filing, changes, reads of sensitive
// content, files, checks), newest first, paged by sequence number, each with its inclusion proof.

type LogEvent = ResponseOf<'/api/v1/integrity/events', 'get'>['events'][number];

const PAGE = 20;

// The auditor's names for the actions an item's events carry (the server's event catalog).
const ACTION_NAMES = AUDIT_ACTION_NAMES;

// item.changed names the stored columns; most are the API's field names in snake_case.
const COLUMN_FIELDS: Record<string, string> = {
  doc_date: 'date',
  person_name: 'name',
  handling_agency: 'agency',
};
const columnLabel = (column: string) => {
  const field =
    COLUMN_FIELDS[column] ?? column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return FIELD_LABELS[field] ?? column;
};

function payloadSummary(event: LogEvent): string {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof payload.version === 'number') parts.push(`第 ${payload.version} 版`);
  if (typeof payload.reason === 'string') parts.push(`原因：${payload.reason}`);
  if (Array.isArray(payload.fields) && event.action === 'item.changed')
    parts.push(`字段：${payload.fields.map((field) => columnLabel(String(field))).join('、')}`);
  if (typeof payload.purpose === 'string') parts.push(`用途：${payload.purpose}`);
  if (typeof payload.fileName === 'string') parts.push(payload.fileName);
  else if (typeof payload.fileNumber === 'number') parts.push(`文件 ${payload.fileNumber}`);
  if (typeof payload.traceId === 'string') parts.push(`追踪号 ${payload.traceId}`);
  return parts.join('；');
}

export function EventsTab({ archiveCode }: { archiveCode: string }) {
  // `before` chain: the seq each page started below, so 上一页 can go back.
  const [befores, setBefores] = useState<number[]>([]);
  const [proofSeq, setProofSeq] = useState<number>();
  const before = befores.at(-1);
  const events = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/integrity/events', {
          params: { query: { subject: `item:${archiveCode}`, before, limit: PAGE } },
        }),
      ),
    [archiveCode, before],
  );
  const rows = events.data?.events ?? [];
  const last = rows.at(-1);
  return (
    <div>
      <ErrorNotice error={events.error} retry={events.reload} />
      <Table<LogEvent>
        rowKey="seq"
        size="middle"
        loading={events.loading}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: '没有事件' }}
        columns={[
          { title: '序号', dataIndex: 'seq', width: 80 },
          { title: '时间', dataIndex: 'recordedAt', width: 160, render: (value: string) => dateTime(value) },
          {
            title: '事件',
            dataIndex: 'action',
            width: 200,
            render: (action: string) => (
              <span>
                {ACTION_NAMES[action] ?? action}
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {action}
                </Typography.Text>
              </span>
            ),
          },
          { title: '操作人', dataIndex: 'actor', width: 140 },
          { title: '说明', render: (_, event) => payloadSummary(event) },
          {
            title: '证明',
            width: 120,
            render: (_, event) => (
              <Button size="small" icon={<SafetyOutlined />} onClick={() => setProofSeq(event.seq)}>
                包含证明
              </Button>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12, width: '100%', justifyContent: 'flex-end' }}>
        <Button disabled={befores.length === 0} onClick={() => setBefores(befores.slice(0, -1))}>
          上一页
        </Button>
        <Button
          disabled={rows.length < PAGE || !last}
          onClick={() => last && setBefores([...befores, last.seq])}
        >
          下一页
        </Button>
      </Space>
      <ProofModal seq={proofSeq} onClose={() => setProofSeq(undefined)} />
    </div>
  );
}
