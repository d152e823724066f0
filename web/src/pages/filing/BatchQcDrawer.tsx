import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { OcrProgressCard } from './OcrProgressCard';
import { PageViewer } from './PageViewer';
import {
  BATCH_STATUS,
  type Batch,
  percent,
  type QcReport,
  type QcRound,
  type QcSample,
  VERDICTS,
} from './scanLabels';

// A batch's quality control: draw a sample, mark each sampled page 合格 or 不合格 (with a reason),
// then decide — accepted when the share wrong is within the batch's limit, otherwise returned.

const time = (value: string | null) => beijingText(value, 'minute');

function RoundSummary({ round }: { round: QcRound }) {
  const decision = round.decision ? VERDICTS[round.decision === 'accepted' ? 'right' : 'wrong'] : undefined;
  return (
    <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered style={{ marginBottom: 12 }}>
      <Descriptions.Item label="轮次">第 {round.round} 轮</Descriptions.Item>
      <Descriptions.Item label="抽样">
        {round.sampled} / {round.pages} 页（{percent(round.sampleRate)}）
      </Descriptions.Item>
      <Descriptions.Item label="已判">{round.reviewed} 页</Descriptions.Item>
      <Descriptions.Item label="抽样人">
        {round.drawnBy} {time(round.drawnAt)}
      </Descriptions.Item>
      <Descriptions.Item label="不合格">{round.wrong ?? '—'}</Descriptions.Item>
      <Descriptions.Item label="判定">
        {round.decision ? (
          <Tag color={decision?.color}>{round.decision === 'accepted' ? '验收合格' : '退回返工'}</Tag>
        ) : (
          '质检中'
        )}
        {round.decidedBy ? `${round.decidedBy} ${time(round.decidedAt)}` : ''}
      </Descriptions.Item>
    </Descriptions>
  );
}

export function BatchQcDrawer({
  batch,
  onClose,
  onChanged,
}: {
  batch: Batch;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { message } = App.useApp();
  const report = useRequest(
    () => unwrap(api.GET('/api/v1/scan-batches/{id}/qc', { params: { path: { id: batch.id } } })),
    [batch.id],
  );
  const [fresh, setFresh] = useState<QcReport>();
  const data = fresh ?? report.data;
  const [busy, setBusy] = useState<string>();
  const [problem, setProblem] = useState<string>();
  const [rejecting, setRejecting] = useState<QcSample>();
  const [viewing, setViewing] = useState<QcSample>();
  const [reasonForm] = Form.useForm<{ reason: string }>();

  const current = data?.batch ?? batch;
  const open = data?.rounds.find((round) => round.decision === null);
  const past = (data?.rounds ?? []).filter((round) => round !== open).sort((a, b) => b.round - a.round);

  const act = async (what: string, run: () => Promise<QcReport | undefined>) => {
    setBusy(what);
    setProblem(undefined);
    try {
      const answer = await run();
      if (answer) setFresh(answer);
      else {
        setFresh(undefined);
        report.reload();
      }
      onChanged();
      return true;
    } catch (reason) {
      setProblem(asApiError(reason).message);
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const draw = () =>
    act('draw', () =>
      unwrap(
        api.POST('/api/v1/scan-batches/{id}/qc/rounds', { params: { path: { id: batch.id } }, body: {} }),
      ),
    );
  const decide = () =>
    act('decide', async () => {
      const answer = await unwrap(
        api.POST('/api/v1/scan-batches/{id}/qc/decision', { params: { path: { id: batch.id } } }),
      );
      const last = answer.rounds.find(
        (round) => round.round === Math.max(...answer.rounds.map((r) => r.round)),
      );
      message.info(last?.decision === 'accepted' ? '本批次验收合格' : '差错率超过上限，本批次退回返工');
      return answer;
    });
  const judge = (sample: QcSample, verdict: 'right' | 'wrong', reason?: string) =>
    act(`${sample.archiveCode}:${sample.page}`, async () => {
      await unwrap(
        api.PUT('/api/v1/scan-batches/{id}/qc/pages', {
          params: { path: { id: batch.id } },
          body: {
            archiveCode: sample.archiveCode,
            page: sample.page,
            verdict,
            ...(reason ? { reason } : {}),
          },
        }),
      );
      return undefined;
    });

  const submitReason = async ({ reason }: { reason: string }) => {
    if (rejecting && (await judge(rejecting, 'wrong', reason.trim()))) {
      setRejecting(undefined);
      reasonForm.resetFields();
    }
  };

  const canDraw = !open && (current.status === 'scanning' || current.status === 'returned');
  return (
    <Drawer open size={900} title={`批次 ${current.id}“${current.name}”质检`} onClose={onClose}>
      <ErrorNotice error={report.error} retry={report.reload} />
      <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
        <Descriptions.Item label="全宗">{current.fondsCode}</Descriptions.Item>
        <Descriptions.Item label="状态">
          <Tag color={BATCH_STATUS[current.status]?.color}>
            {BATCH_STATUS[current.status]?.label ?? current.status}
          </Tag>
        </Descriptions.Item>
        <Descriptions.Item label="页数">{current.pages}</Descriptions.Item>
        <Descriptions.Item label="抽检比例">{percent(current.sampleRate)}</Descriptions.Item>
        <Descriptions.Item label="合格差错率上限">{percent(current.maxErrorRate, 2)}</Descriptions.Item>
        <Descriptions.Item label="待重扫">{current.flagged}</Descriptions.Item>
      </Descriptions>
      <OcrProgressCard batchId={current.id} />
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" disabled={!canDraw} loading={busy === 'draw'} onClick={draw}>
          抽样
        </Button>
        <Button disabled={!open} loading={busy === 'decide'} onClick={decide}>
          判定
        </Button>
        {current.status === 'accepted' && <Typography.Text type="success">本批次已验收合格</Typography.Text>}
      </Space>
      {problem && <Alert type="error" showIcon title={problem} style={{ marginBottom: 12 }} />}
      {open && (
        <>
          <Typography.Title level={5}>本轮抽样（第 {open.round} 轮）</Typography.Title>
          <RoundSummary round={open} />
          <Table<QcSample>
            rowKey={(row) => `${row.archiveCode}:${row.page}`}
            size="small"
            dataSource={open.samples}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
            columns={[
              { title: '图像名', dataIndex: 'imageName' },
              {
                title: '结论',
                key: 'verdict',
                render: (_, row) =>
                  row.verdict ? (
                    <Tag color={VERDICTS[row.verdict]?.color}>
                      {VERDICTS[row.verdict]?.label ?? row.verdict}
                    </Tag>
                  ) : (
                    <Typography.Text type="secondary">未判</Typography.Text>
                  ),
              },
              { title: '原因', dataIndex: 'reason', render: (reason: string | null) => reason ?? '—' },
              {
                title: '质检人',
                key: 'reviewer',
                render: (_, row) => (row.reviewer ? `${row.reviewer} ${time(row.reviewedAt)}` : '—'),
              },
              {
                title: '操作',
                key: 'actions',
                render: (_, row) => (
                  <Space>
                    <Button
                      size="small"
                      type="link"
                      onClick={() => setViewing(row)}
                      aria-label={`查看 ${row.imageName}`}
                    >
                      查看
                    </Button>
                    <Button
                      size="small"
                      loading={busy === `${row.archiveCode}:${row.page}`}
                      onClick={() => judge(row, 'right')}
                      aria-label={`${row.imageName} 合格`}
                    >
                      合格
                    </Button>
                    <Button
                      size="small"
                      danger
                      onClick={() => setRejecting(row)}
                      aria-label={`${row.imageName} 不合格`}
                    >
                      不合格
                    </Button>
                  </Space>
                ),
              },
            ]}
          />
        </>
      )}
      {past.length > 0 && <Typography.Title level={5}>以往轮次</Typography.Title>}
      {past.map((round) => (
        <RoundSummary key={round.round} round={round} />
      ))}
      {viewing && (
        <PageViewer
          archiveCode={viewing.archiveCode}
          page={viewing.page}
          onClose={() => setViewing(undefined)}
        />
      )}
      <Modal
        open={Boolean(rejecting)}
        title={`判为不合格：${rejecting?.imageName ?? ''}`}
        okText="确定"
        onOk={() => reasonForm.submit()}
        onCancel={() => setRejecting(undefined)}
        destroyOnHidden
      >
        <Form form={reasonForm} layout="vertical" onFinish={submitReason}>
          <Form.Item
            name="reason"
            label="不合格原因"
            rules={[
              { required: true, whitespace: true, message: '判为不合格时须写明原因' },
              { max: 500, message: '原因最多500个字符' },
            ]}
          >
            <Input.TextArea rows={3} placeholder="如：字迹模糊、缺页、倾斜、档号错误" />
          </Form.Item>
        </Form>
      </Modal>
    </Drawer>
  );
}
