import { Card, Space, Table, Tag, Typography } from 'antd';
import type { Request } from '../../app/hooks';
import { RECONCILE_OUTCOME_NAMES } from '../../app/labels';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { durationText, type ReconcileRun, reportLinks } from './povertyApi';
import { ReportButtons } from './ReconcileResult';

// The recent reconciliations, newest first, each with its workbooks: a list checked last week can
// still be handed back without uploading it again. The runs are the user's own (no 经办人 column), and
// the workbooks stack in a column fixed at the right, so they stay in view at 1366 wide and below.

/** The run's counts as the list keeps them (summary.counts); only outcomes that occurred. */
function countTags(summary: ReconcileRun['summary']) {
  const counts = (summary.counts ?? {}) as Record<string, unknown>;
  const shown = Object.entries(RECONCILE_OUTCOME_NAMES).filter(([outcome]) => Number(counts[outcome]) > 0);
  if (shown.length === 0) return '—';
  return (
    <Space size={[4, 4]} wrap>
      {shown.map(([outcome, name]) => (
        <Tag key={outcome} color={outcome === 'matched' ? 'success' : undefined}>
          {name} {Number(counts[outcome])}
        </Tag>
      ))}
    </Space>
  );
}

export function RecentRuns({ runs }: { runs: Request<ReconcileRun[]> }) {
  return (
    <Card size="small" title="近期核对">
      <ErrorNotice error={runs.error} retry={runs.reload} />
      <Table<ReconcileRun>
        rowKey="id"
        size="small"
        loading={runs.loading}
        dataSource={runs.data ?? []}
        pagination={{ pageSize: 10, showSizeChanger: false, hideOnSinglePage: true }}
        locale={{ emptyText: '尚无名单核对' }}
        scroll={{ x: 960 }}
        tableLayout="fixed"
        columns={[
          { title: '批次', dataIndex: 'id', width: 60 },
          {
            title: '核对时间',
            dataIndex: 'createdAt',
            width: 140,
            render: (iso: string, run) => (
              <>
                {beijingText(iso, 'minute')}
                <br />
                <Typography.Text type="secondary">用时 {durationText(run.durationMs)}</Typography.Text>
              </>
            ),
          },
          { title: '来文单位', dataIndex: 'source', width: 90 },
          { title: '来文文件', dataIndex: 'fileName', width: 180, ellipsis: { showTitle: true } },
          { title: '行数', dataIndex: 'rowCount', width: 70, align: 'right' },
          { title: '核对结果', key: 'counts', render: (_, run) => countTags(run.summary) },
          {
            title: '待办',
            key: 'followUps',
            width: 80,
            align: 'right',
            render: (_, run) => {
              const value = run.summary.followUps;
              return typeof value === 'number' ? `${value} 人` : '—';
            },
          },
          {
            title: '下载',
            key: 'reports',
            width: 150,
            fixed: 'right',
            render: (_, run) => (
              <ReportButtons listName={run.fileName} reports={reportLinks(run.id)} asLinks />
            ),
          },
        ]}
      />
    </Card>
  );
}
