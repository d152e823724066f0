import { Alert, Button, Card, Descriptions, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { type ApiError, download } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { getJson, postJson } from '../disposition/dispositionApi';
import {
  type AcceptResult,
  type Batch,
  type BatchItem,
  batchColour,
  batchPaths,
  gigabytes,
} from './transferView';

// 移交批次: what was drawn (each item that may not go with its reason), exporting the bag (a job; the
// page follows it), downloading it and the 登记表, recording the receiver's signed 回执 (the items it
// accepts become 已移交, read-only here), and withdrawing a batch not yet accepted.

const columns: ColumnsType<BatchItem> = [
  { title: '序号', dataIndex: 'seq', width: 60 },
  {
    title: '档号',
    dataIndex: 'archiveCode',
    width: 230,
    render: (archiveCode: string) => <Link to={itemPath(archiveCode)}>{archiveCode}</Link>,
  },
  { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
  { title: '年度', dataIndex: 'year', width: 70 },
  { title: '文件', dataIndex: 'files', width: 60 },
  { title: '大小（MB）', key: 'size', width: 100, render: (_, item) => (item.bytes / 1e6).toFixed(3) },
  {
    title: '状态',
    key: 'state',
    width: 220,
    render: (_, item) => (
      <>
        <Tag color={item.state === 'refused' || item.state === 'rejected' ? 'red' : 'green'}>
          {item.stateLabel}
        </Tag>
        {item.reasonLabel ? <Typography.Text type="secondary">{item.reasonLabel}</Typography.Text> : null}
      </>
    ),
  },
];

export default function TransferBatchPage() {
  const { code = '' } = useParams();
  const batch = useRequest(() => getJson<Batch>(batchPaths.one(code)), [code]);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [accepting, setAccepting] = useState(false);
  const [receipt, setReceipt] = useState('');
  const [withdrawing, setWithdrawing] = useState(false);
  const [reason, setReason] = useState('');
  const data = batch.data;
  const open = data?.state === 'drawn' || data?.state === 'exported';

  const run = async (work: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setDone(message);
      batch.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          移交批次 {code}
        </Typography.Title>
      }
    >
      <ErrorNotice error={batch.error} retry={batch.reload} />
      {error ? <Alert type="error" showIcon message={error.message} style={{ marginBottom: 16 }} /> : null}
      {done ? <Alert type="success" showIcon message={done} style={{ marginBottom: 16 }} /> : null}
      {data ? (
        <>
          <Descriptions
            bordered
            size="small"
            column={2}
            style={{ marginBottom: 16 }}
            data-testid="transfer-cover"
          >
            <Descriptions.Item label="状态">
              <Tag color={batchColour(data.state)}>{data.stateLabel}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label="方式">{data.kindLabel}</Descriptions.Item>
            <Descriptions.Item label="全宗">{data.fonds}</Descriptions.Item>
            <Descriptions.Item label="接收单位">{data.receiver}</Descriptions.Item>
            {data.selector.query !== undefined ? (
              <Descriptions.Item label="检索式">{data.selector.query}</Descriptions.Item>
            ) : null}
            <Descriptions.Item label="移交数量">
              {data.totals.items} 件，{data.totals.files} 个文件，{gigabytes(data.totals.bytes)} GB
            </Descriptions.Item>
            <Descriptions.Item label="不能移交">{data.counts.refused} 件</Descriptions.Item>
            <Descriptions.Item label="编制">
              {data.drawnBy}（{beijingText(data.drawnAt, 'minute')}）
            </Descriptions.Item>
            <Descriptions.Item label="移交包摘要">
              {data.exported ? `${data.exported.algorithm} ${data.exported.digest}` : '尚未导出'}
            </Descriptions.Item>
            {data.receipt ? (
              <Descriptions.Item label="接收回执" span={2}>
                {data.receipt.receiver}（{data.receipt.at ? beijingText(data.receipt.at, 'minute') : ''}
                ）；本单位只读保存至 {data.receipt.keepUntil}
              </Descriptions.Item>
            ) : null}
            {data.withdrawn ? (
              <Descriptions.Item label="撤销" span={2}>
                {data.withdrawn.reason}（{data.withdrawn.by}）
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          <Space wrap style={{ marginBottom: 16 }}>
            {open ? (
              <Button
                type="primary"
                loading={busy}
                onClick={() =>
                  run(() => postJson(batchPaths.export(code)), '已开始导出移交包（后台任务），完成后可下载')
                }
              >
                导出移交包
              </Button>
            ) : null}
            {data.exported ? (
              <Button
                onClick={() => run(() => download(batchPaths.bag(code), `${code}.tar`), '已下载移交包')}
              >
                下载移交包
              </Button>
            ) : null}
            <Button
              onClick={() =>
                run(() => download(batchPaths.form(code, 'xlsx'), `移交登记表-${code}.xlsx`), '已下载登记表')
              }
            >
              登记表 XLSX
            </Button>
            <Button
              onClick={() =>
                run(() => download(batchPaths.form(code, 'pdf'), `移交登记表-${code}.pdf`), '已下载登记表')
              }
            >
              登记表 PDF
            </Button>
            {data.state === 'exported' ? (
              <Button onClick={() => setAccepting(true)}>登记接收回执</Button>
            ) : null}
            {open ? (
              <Button danger onClick={() => setWithdrawing(true)}>
                撤销批次
              </Button>
            ) : null}
          </Space>
          <Table
            data-testid="transfer-items"
            rowKey="seq"
            size="middle"
            columns={columns}
            dataSource={data.items}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
          />
        </>
      ) : null}
      <Modal
        title="登记接收回执"
        open={accepting}
        okText="登记"
        confirmLoading={busy}
        onCancel={() => setAccepting(false)}
        onOk={() =>
          run(async () => {
            const result = await postJson<AcceptResult>(batchPaths.accept(code), {
              receipt,
            });
            setAccepting(false);
            return result;
          }, '已登记接收回执：接收的档案已标记为已移交')
        }
      >
        <Typography.Paragraph type="secondary">
          选择接收方出具的回执文件（回执-{code}.json）。
        </Typography.Paragraph>
        <input
          type="file"
          accept=".json,application/json"
          data-testid="receipt-file"
          onChange={async (event) => setReceipt((await event.target.files?.[0]?.text()) ?? '')}
        />
      </Modal>
      <Modal
        title="撤销移交批次"
        open={withdrawing}
        okText="撤销"
        okButtonProps={{ danger: true, disabled: reason.trim() === '' }}
        confirmLoading={busy}
        onCancel={() => setWithdrawing(false)}
        onOk={() =>
          run(async () => {
            await postJson(batchPaths.withdraw(code), { reason });
            setWithdrawing(false);
          }, '已撤销移交批次，所列档案可重新编制')
        }
      >
        <Input.TextArea
          rows={3}
          placeholder="撤销原因"
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
      </Modal>
    </Card>
  );
}
