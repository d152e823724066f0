import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useAuth } from '../../app/auth';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 完整性校验 (the `yidang verify` runs, started here in the background) and 签名检查点. Reading their
// history needs integrity.read, which the 系统管理员 does not hold; starting and signing do not.

type VerifyRun = ResponseOf<'/api/v1/integrity/verify-runs', 'get'>['runs'][number];
type Checkpoint = ResponseOf<'/api/v1/integrity/checkpoints', 'get'>['checkpoints'][number];

const time = (iso: string | null) => beijingText(iso);

function verdict(run: VerifyRun) {
  if (run.status === 'running') return <Tag color="processing">进行中</Tag>;
  if (run.status === 'failed') return <Tag color="error">未能完成</Tag>;
  return run.ok ? (
    <Tag color="success">全部完整</Tag>
  ) : (
    <Tag color="error">发现 {run.problemCount ?? 0} 处问题</Tag>
  );
}

const verifyColumns: ColumnsType<VerifyRun> = [
  { title: '编号', dataIndex: 'id', width: 70 },
  { title: '开始时间', dataIndex: 'startedAt', width: 170, render: time },
  { title: '结束时间', dataIndex: 'finishedAt', width: 170, render: time },
  {
    title: '发起',
    key: 'by',
    width: 140,
    render: (_, run) => `${run.actor}（${run.via === 'cli' ? '命令行' : '控制台'}）`,
  },
  { title: '深度校验', dataIndex: 'deep', width: 90, render: (deep: boolean) => (deep ? '是' : '否') },
  { title: '结论', key: 'verdict', width: 150, render: (_, run) => verdict(run) },
  {
    title: '校验范围',
    key: 'counts',
    render: (_, run) =>
      run.events === null
        ? '—'
        : `事件 ${run.events}，档案 ${run.items ?? 0}，文件 ${run.files ?? 0}，存储文件 ${run.blobs ?? 0}`,
  },
  {
    title: '说明',
    key: 'detail',
    render: (_, run) => run.error ?? run.firstProblem ?? '—',
  },
];

export function VerifyPanel() {
  const { message } = App.useApp();
  const { can } = useAuth();
  const readable = can('integrity.read');
  const [deep, setDeep] = useState(false);
  const [starting, setStarting] = useState(false);
  const runs = useRequest(
    () =>
      readable
        ? unwrap(api.GET('/api/v1/integrity/verify-runs', { params: { query: { limit: 20 } } }))
        : Promise.resolve(undefined),
    [readable],
  );
  const busy = runs.data?.running || runs.data?.runs.some((run) => run.status === 'running');

  // A run goes on in the background: look again every few seconds until it is done.
  useEffect(() => {
    if (!busy) return;
    const timer = setTimeout(runs.reload, 3000);
    return () => clearTimeout(timer);
  }, [busy, runs.reload]);

  const start = async () => {
    setStarting(true);
    try {
      const started = await unwrap(api.POST('/api/v1/integrity/verify-runs', { body: { deep } }));
      message.success(`已开始完整性校验（编号 ${started.id}），在后台进行`);
      runs.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setStarting(false);
    }
  };

  return (
    <Card
      title="完整性校验"
      extra={
        can('storage.manage') && (
          <Space>
            <Checkbox checked={deep} onChange={(event) => setDeep(event.target.checked)}>
              深度校验（解密每个文件，较慢）
            </Checkbox>
            <Popconfirm
              title="开始完整性校验？"
              description="重算事件日志、检查点签名、档案与各副本上的文件摘要，在后台进行"
              okText="开始"
              cancelText="取消"
              onConfirm={() => start()}
            >
              <Button type="primary" loading={starting} disabled={Boolean(busy)}>
                开始校验
              </Button>
            </Popconfirm>
          </Space>
        )
      }
    >
      {readable ? (
        <>
          <ErrorNotice error={runs.error} retry={runs.reload} />
          <Table<VerifyRun>
            rowKey="id"
            size="small"
            loading={runs.loading && !runs.data}
            columns={verifyColumns}
            dataSource={runs.data?.runs ?? []}
            pagination={false}
            scroll={{ x: 1100 }}
            locale={{ emptyText: '还没有完整性校验记录' }}
          />
        </>
      ) : (
        <Alert
          type="info"
          showIcon
          title="校验记录由安全审计员查看"
          description="您可以发起校验；校验结论记入事件日志，查看校验记录需要“查看事件日志与证明”权限。"
        />
      )}
    </Card>
  );
}

function CheckpointView({ checkpoint }: { checkpoint: Checkpoint }) {
  return (
    <Descriptions size="small" bordered column={1}>
      <Descriptions.Item label="编号">{checkpoint.id}</Descriptions.Item>
      <Descriptions.Item label="树大小">{checkpoint.treeSize}</Descriptions.Item>
      <Descriptions.Item label="根哈希">
        <Typography.Text copyable style={{ wordBreak: 'break-all', fontSize: 12 }}>
          {checkpoint.rootHash}
        </Typography.Text>
      </Descriptions.Item>
      <Descriptions.Item label="签发">
        {time(checkpoint.createdAt)}（{checkpoint.createdBy}）
      </Descriptions.Item>
    </Descriptions>
  );
}

export function CheckpointPanel() {
  const { message } = App.useApp();
  const { can } = useAuth();
  const readable = can('integrity.read');
  const [signing, setSigning] = useState(false);
  const [signed, setSigned] = useState<Checkpoint>();
  const list = useRequest(
    () =>
      readable
        ? unwrap(api.GET('/api/v1/integrity/checkpoints', { params: { query: { latest: 10 } } }))
        : Promise.resolve(undefined),
    [readable],
  );

  const sign = async () => {
    setSigning(true);
    try {
      const checkpoint = (await unwrap(api.POST('/api/v1/integrity/checkpoints'))) as Checkpoint;
      setSigned(checkpoint);
      message.success(`已签发检查点（树大小 ${checkpoint.treeSize}）`);
      list.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setSigning(false);
    }
  };

  return (
    <Card
      title="签名检查点"
      extra={
        can('integrity.sign') && (
          <Button type="primary" loading={signing} onClick={() => void sign()}>
            立即签发检查点
          </Button>
        )
      }
    >
      <Typography.Paragraph type="secondary">
        检查点以服务器的签名密钥固定事件日志在某一时刻的内容，日后可离线证明日志未被改写。
      </Typography.Paragraph>
      {signed && (
        <div style={{ marginBottom: 16 }}>
          <Typography.Text strong>刚签发的检查点</Typography.Text>
          <CheckpointView checkpoint={signed} />
        </div>
      )}
      {readable && (
        <>
          <ErrorNotice error={list.error} retry={list.reload} />
          <Table<Checkpoint>
            rowKey="id"
            size="small"
            loading={list.loading}
            dataSource={list.data?.checkpoints ?? []}
            pagination={false}
            columns={[
              { title: '编号', dataIndex: 'id', width: 70 },
              { title: '树大小', dataIndex: 'treeSize', width: 90 },
              { title: '根哈希', dataIndex: 'rootHash', ellipsis: true },
              { title: '签发时间', dataIndex: 'createdAt', width: 170, render: time },
              { title: '签发人', dataIndex: 'createdBy', width: 120 },
            ]}
          />
        </>
      )}
    </Card>
  );
}
