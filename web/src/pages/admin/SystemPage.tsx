import { Button, Space, Spin, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { FixityPanel } from './FixityPanel';
import { CheckpointPanel, VerifyPanel } from './IntegrityPanels';
import { JobsPanel } from './JobsPanel';
import { ReplicaCards, StatusSummary } from './SystemStatusPanel';

// 副本与密钥 (storage.manage): the system's state, its file replicas, and the checks that keep the
// stored archive intact — fixity, full verification, signed checkpoints — and the background jobs.

export default function SystemPage() {
  const status = useRequest(() => unwrap(api.GET('/api/v1/system/status')), []);
  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>副本与密钥</Typography.Title>
        <Button onClick={status.reload} loading={status.loading}>
          刷新状态
        </Button>
      </Space>
      <ErrorNotice error={status.error} retry={status.reload} />
      {status.loading && !status.data && <Spin style={{ display: 'block', margin: 24 }} />}
      {status.data && (
        <Space orientation="vertical" size={16} style={{ width: '100%' }}>
          <StatusSummary status={status.data} />
          <Typography.Title level={4} style={{ margin: 0 }}>
            文件副本
          </Typography.Title>
          <ReplicaCards status={status.data} />
        </Space>
      )}
      <Space orientation="vertical" size={16} style={{ width: '100%', marginTop: 16 }}>
        <FixityPanel />
        <VerifyPanel />
        <CheckpointPanel />
        <JobsPanel />
      </Space>
    </>
  );
}
