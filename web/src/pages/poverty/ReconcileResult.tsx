import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { download } from '../../api/client';
import { asApiError } from '../../app/hooks';
import { isCorrectionOutcome, RECONCILE_OUTCOME_NAMES } from '../../app/labels';
import { durationText, type ReconcileResult, reportFileName } from './povertyApi';

// One reconciliation's answer: how many rows came out each way (outcomes with none are greyed, so
// the table always reads the same), who must be urged to enroll, and the three workbooks.

interface CountRow {
  outcome: string;
  name: string;
  count: number;
}

/** The three workbooks of a run, as buttons (the answer) or as links (the list of runs). */
export function ReportButtons({
  listName,
  reports,
  asLinks = false,
}: {
  listName: string;
  reports: ReconcileResult['reports'];
  asLinks?: boolean;
}) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string>();
  const fetchReport = async (report: ReconcileResult['reports'][number]) => {
    setBusy(report.kind);
    try {
      await download(report.href, reportFileName(listName, report.name));
    } catch (reason) {
      message.error(asApiError(reason).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Space
      wrap={!asLinks}
      size={asLinks ? 0 : 8}
      orientation={asLinks ? 'vertical' : 'horizontal'}
      align={asLinks ? 'start' : undefined}
    >
      {reports.map((report) => (
        <Button
          key={report.kind}
          type={asLinks ? 'link' : 'default'}
          size={asLinks ? 'small' : 'middle'}
          icon={asLinks ? undefined : <DownloadOutlined />}
          loading={busy === report.kind}
          onClick={() => void fetchReport(report)}
        >
          {report.name}
        </Button>
      ))}
    </Space>
  );
}

export function ReconcileResultCard({ result }: { result: ReconcileResult }) {
  const counts = result.counts as Record<string, number>;
  const rows: CountRow[] = Object.entries(RECONCILE_OUTCOME_NAMES).map(([outcome, name]) => ({
    outcome,
    name,
    count: counts[outcome] ?? 0,
  }));
  return (
    <Card
      size="small"
      title={`核对结果：${result.fileName}（${result.source}，第 ${result.runId} 次核对）`}
      style={{ marginBottom: 16 }}
      data-testid="reconcile-result"
    >
      <Row gutter={16} style={{ marginBottom: 12 }}>
        <Col xs={12} md={6}>
          <Statistic title="名单行数" value={result.rows} suffix="行" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title="需督促参保缴费" value={result.followUps} suffix="人" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title="用时" value={durationText(result.durationMs)} />
        </Col>
      </Row>
      <Table<CountRow>
        rowKey="outcome"
        size="small"
        pagination={false}
        dataSource={rows}
        style={{ maxWidth: 560, marginBottom: 16 }}
        columns={[
          {
            title: '核对结果',
            dataIndex: 'name',
            render: (name: string, row) => (
              <Typography.Text type={row.count === 0 ? 'secondary' : undefined}>{name}</Typography.Text>
            ),
          },
          {
            title: '行数',
            dataIndex: 'count',
            width: 90,
            align: 'right',
            render: (count: number) => (
              <Typography.Text type={count === 0 ? 'secondary' : undefined} strong={count > 0}>
                {count}
              </Typography.Text>
            ),
          },
          {
            title: '处理',
            key: 'action',
            width: 160,
            render: (_, row) =>
              row.count > 0 && isCorrectionOutcome(row.outcome) ? (
                <Tag color="warning">返回来文单位更正</Tag>
              ) : null,
          },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        下载核对结果（工作簿含身份证号，请按敏感信息保管）：
      </Typography.Paragraph>
      <ReportButtons listName={result.fileName} reports={result.reports} />
    </Card>
  );
}
