import { Alert, Modal, Progress, Space, Table, Tag, Typography } from 'antd';
import type { ResponseOf } from '../../api/types';
import { namesOf } from '../../app/vocabulary';

// 四性检测 results of a batch run from the items list: one report per item (the API checks one
// archive per call), summed up, with each failed check named.

export type CheckReport = ResponseOf<'/api/v1/checks', 'post', 201>;

export interface CheckOutcome {
  archiveCode: string;
  report?: CheckReport;
  error?: string;
}

const STATUS_COLOR: Record<string, string> = { pass: 'success', fail: 'error', skipped: 'default' };
const CHECK_STATUS_NAMES = namesOf((v) => v.values.checkStatus);

export function CheckResultsModal({
  open,
  total,
  outcomes,
  onClose,
}: {
  open: boolean;
  total: number;
  outcomes: CheckOutcome[];
  onClose: () => void;
}) {
  const done = outcomes.length;
  const passed = outcomes.filter((outcome) => outcome.report?.summary.failedItems === 0).length;
  const failed = outcomes.filter((outcome) => (outcome.report?.summary.failedItems ?? 0) > 0).length;
  const errors = outcomes.filter((outcome) => outcome.error).length;
  return (
    <Modal
      title="四性检测结果"
      open={open}
      onCancel={onClose}
      onOk={onClose}
      okText="关闭"
      cancelButtonProps={{ style: { display: 'none' } }}
      width={860}
      destroyOnHidden
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Progress percent={total ? Math.round((done / total) * 100) : 0} aria-label="检测进度" />
        <Alert
          type={failed + errors > 0 ? 'warning' : done < total ? 'info' : 'success'}
          showIcon
          title={
            done < total
              ? `正在检测：已完成 ${done} / ${total} 件`
              : `检测完成：${total} 件中通过 ${passed} 件，不通过 ${failed} 件${errors ? `，未能检测 ${errors} 件` : ''}`
          }
        />
        <Table<CheckOutcome>
          size="small"
          rowKey="archiveCode"
          pagination={false}
          dataSource={outcomes}
          columns={[
            { title: '档号', dataIndex: 'archiveCode', width: 250 },
            {
              title: '结论',
              width: 90,
              render: (_, outcome) =>
                outcome.error ? (
                  <Tag color="warning">未能检测</Tag>
                ) : (
                  <Tag color={STATUS_COLOR[outcome.report?.items[0]?.outcome ?? 'skipped']}>
                    {CHECK_STATUS_NAMES[outcome.report?.items[0]?.outcome ?? 'skipped']}
                  </Tag>
                ),
            },
            {
              title: '检测项（通过 / 不通过 / 未检测）',
              width: 200,
              render: (_, outcome) =>
                outcome.report
                  ? `${outcome.report.summary.passed} / ${outcome.report.summary.failed} / ${outcome.report.summary.skipped}`
                  : '',
            },
            {
              title: '问题',
              render: (_, outcome) =>
                outcome.error ? (
                  <Typography.Text type="danger">{outcome.error}</Typography.Text>
                ) : (
                  (outcome.report?.items ?? [])
                    .flatMap((item) => item.checks)
                    .filter((check) => check.status === 'fail')
                    .map((check) => (
                      <div key={check.id}>
                        <Typography.Text strong>
                          {check.propertyName}·{check.name}
                        </Typography.Text>
                        ：{check.detail}
                      </div>
                    ))
                ),
            },
          ]}
        />
      </Space>
    </Modal>
  );
}
