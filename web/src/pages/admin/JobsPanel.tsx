import { App, Button, Card, Popconfirm, Progress, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 后台任务 (storage.manage): the checks after filing, OCR pages and scheduled checkpoints as the job
// runtime keeps them — counts by state, each job's progress and last error, and 重试 for a dead one.

type Overview = ResponseOf<'/api/v1/jobs', 'get'>;
type Job = Overview['jobs'][number];
type State = Job['state'];

const COLORS: Record<State, string> = {
  queued: 'default',
  retry: 'warning',
  running: 'processing',
  done: 'success',
  dead: 'error',
};
const ORDER: State[] = ['dead', 'retry', 'running', 'queued', 'done'];

function progressOf(job: Job) {
  const progress = job.progress;
  if (!progress) return '—';
  if (progress.total === null || progress.total === 0)
    return `${progress.done}${progress.note ? ` ${progress.note}` : ''}`;
  return <Progress size="small" percent={Math.round((progress.done / progress.total) * 100)} />;
}

export function JobsPanel() {
  const { message } = App.useApp();
  const [state, setState] = useState<State | 'all'>('dead');
  const jobs = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/jobs', { params: { query: { limit: 50, ...(state === 'all' ? {} : { state }) } } }),
      ),
    [state],
  );
  const retry = async (job: Job) => {
    try {
      await unwrap(api.POST('/api/v1/jobs/{id}/retry', { params: { path: { id: job.id } } }));
      message.success(`任务 ${job.id} 已重新排队`);
      jobs.reload();
    } catch (error) {
      message.error((error as Error).message);
    }
  };
  const columns: ColumnsType<Job> = [
    { title: '编号', dataIndex: 'id', width: 80 },
    { title: '类型', dataIndex: 'kindLabel', width: 150 },
    {
      title: '状态',
      dataIndex: 'state',
      width: 110,
      render: (value: State, job) => <Tag color={COLORS[value]}>{job.stateLabel}</Tag>,
    },
    {
      title: '尝试',
      width: 70,
      render: (_: unknown, job) => `${job.attempts}/${job.maxAttempts}`,
    },
    { title: '进度', width: 140, render: (_: unknown, job) => progressOf(job) },
    {
      title: '参数',
      dataIndex: 'payload',
      render: (payload: Job['payload']) => (
        <Typography.Text code style={{ fontSize: 12, wordBreak: 'break-all' }}>
          {JSON.stringify(payload)}
        </Typography.Text>
      ),
    },
    {
      title: '执行时间',
      dataIndex: 'runAt',
      render: (iso: string) => <span style={{ whiteSpace: 'nowrap' }}>{beijingText(iso)}</span>,
    },
    {
      title: '最近的错误',
      dataIndex: 'lastError',
      render: (error: string | null) => error ?? '',
    },
    {
      title: '操作',
      width: 80,
      render: (_: unknown, job) =>
        job.state === 'dead' ? (
          <Popconfirm
            title="重新排队这个任务？"
            okText="重试"
            cancelText="取消"
            onConfirm={() => void retry(job)}
          >
            <Button size="small">重试</Button>
          </Popconfirm>
        ) : null,
    },
  ];
  // State names and counts come from the server (the console keeps no copy of them).
  const states = jobs.data?.states;
  return (
    <Card
      title="后台任务"
      extra={
        <Button onClick={jobs.reload} loading={jobs.loading}>
          刷新
        </Button>
      }
    >
      <Space orientation="vertical" size={12} style={{ width: '100%' }}>
        <Segmented<State | 'all'>
          value={state}
          onChange={setState}
          options={[
            ...ORDER.map((value) => {
              const known = states?.find((entry) => entry.state === value);
              return { value, label: known ? `${known.label} ${known.count}` : value };
            }),
            { value: 'all' as const, label: '全部' },
          ]}
        />
        <ErrorNotice error={jobs.error} retry={jobs.reload} />
        <Table<Job>
          rowKey="id"
          size="small"
          loading={jobs.loading}
          columns={columns}
          dataSource={jobs.data?.jobs ?? []}
          pagination={false}
          locale={{ emptyText: '没有这种状态的任务' }}
        />
      </Space>
    </Card>
  );
}
