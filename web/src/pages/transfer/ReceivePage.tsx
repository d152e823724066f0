import { UploadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Progress, Space, Table, Tag, Typography, Upload } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { download, uploadWithProgress } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { namesOf } from '../../app/vocabulary';
import { ErrorNotice } from '../../components/ErrorNotice';
import { enc, getJson } from '../disposition/dispositionApi';

// 接收: a bag (the sender's tar) is uploaded into a fonds; the server validates it as BagIt, checks
// each 件's EEP signature, history proofs and the four properties, files the accepted ones and signs
// the 回执, which is downloaded here and handed to the sender. Earlier receptions are listed below.

interface ReceivedBag {
  id: number;
  batch: string;
  kind: 'fonds' | 'person';
  sender: string;
  fonds: string;
  state: 'accepted' | 'partial' | 'rejected';
  bagDigest: string;
  digestAlgorithm: string;
  receivedBy: string;
  receivedAt: string;
  problems: Array<{ code: string; path?: string; message: string }>;
}
interface Finding {
  status: 'pass' | 'fail' | 'skipped';
  detail: string;
}
interface ReceivedItem {
  sourceArchiveCode: string;
  accepted: boolean;
  reason?: string;
  archiveCode?: string;
  checks: { authenticity: Finding; integrity: Finding; usability: Finding; security: Finding };
}
type Detail = ReceivedBag & { items: ReceivedItem[]; receipt: string; receiptName: string };

const LIST = '/api/v1/transfer/received';
const OUTCOMES = { accepted: '全部接收', partial: '部分接收', rejected: '全部拒收' } as const;
const OUTCOME_COLOURS = { accepted: 'green', partial: 'gold', rejected: 'red' } as const;
const FINDING_COLOURS = { pass: 'green', fail: 'red', skipped: 'default' } as const;
// The outcome words of a check come from the server's vocabulary (the check module's names).
const FINDING_WORDS = namesOf((v) => v.values.checkStatus);

const finding = (title: string, key: keyof ReceivedItem['checks']) => ({
  title,
  key,
  width: 80,
  render: (_: unknown, item: ReceivedItem) => (
    <Tag color={FINDING_COLOURS[item.checks[key].status]} title={item.checks[key].detail}>
      {FINDING_WORDS[item.checks[key].status]}
    </Tag>
  ),
});

const itemColumns: ColumnsType<ReceivedItem> = [
  { title: '移交方档号', dataIndex: 'sourceArchiveCode', width: 220 },
  {
    title: '结果',
    key: 'accepted',
    width: 70,
    render: (_, item) => <Tag color={item.accepted ? 'green' : 'red'}>{item.accepted ? '接收' : '拒收'}</Tag>,
  },
  { title: '本馆档号', dataIndex: 'archiveCode', width: 220 },
  finding('真实性', 'authenticity'),
  finding('完整性', 'integrity'),
  finding('可用性', 'usability'),
  finding('安全性', 'security'),
  { title: '拒收原因', dataIndex: 'reason', ellipsis: true },
];

function Outcome({ detail }: { detail: Detail }) {
  return (
    <Card
      title={`移交批次 ${detail.batch}（${detail.sender}）`}
      extra={
        <Button onClick={() => download(`${LIST}/${detail.id}/receipt`, detail.receiptName)}>下载回执</Button>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space wrap>
          <Tag color={OUTCOME_COLOURS[detail.state]}>{OUTCOMES[detail.state]}</Tag>
          <Typography.Text>接收进全宗 {detail.fonds}</Typography.Text>
          <Typography.Text type="secondary">
            移交包摘要（{detail.digestAlgorithm}）{detail.bagDigest}
          </Typography.Text>
        </Space>
        {detail.problems.length > 0 && (
          <Alert
            type="error"
            message="移交包未通过校验，全部拒收"
            description={
              <ul>
                {detail.problems.map((problem) => (
                  <li key={`${problem.code}${problem.path ?? ''}${problem.message}`}>
                    {problem.code}
                    {problem.path ? `（${problem.path}）` : ''}：{problem.message}
                  </li>
                ))}
              </ul>
            }
          />
        )}
        <Table
          rowKey="sourceArchiveCode"
          size="small"
          columns={itemColumns}
          dataSource={detail.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
        />
      </Space>
    </Card>
  );
}

export default function ReceivePage() {
  const list = useRequest(() => getJson<{ bags: ReceivedBag[] }>(LIST), []);
  const [form] = Form.useForm<{ fonds: string; senderKey?: string }>();
  const [file, setFile] = useState<File>();
  const [percent, setPercent] = useState<number>();
  const [problem, setProblem] = useState<string>();
  const [detail, setDetail] = useState<Detail>();

  const receive = async ({ fonds, senderKey }: { fonds: string; senderKey?: string }) => {
    if (!file) return setProblem('请选择移交包（tar 文件）');
    setProblem(undefined);
    setPercent(0);
    try {
      const form = new FormData();
      form.append('file', file, file.name);
      // A pinned sender key: the bag must be signed by it (without one, 真实性 notes the key was not checked).
      const key = senderKey?.trim() ? `&senderKey=${enc(senderKey.trim())}` : '';
      setDetail(
        await uploadWithProgress<Detail>(`${LIST}?fonds=${enc(fonds.trim())}${key}`, form, setPercent),
      );
      list.reload();
    } catch (reason) {
      setProblem(asApiError(reason).message);
    } finally {
      setPercent(undefined);
    }
  };
  const show = async (id: number) => {
    setProblem(undefined);
    try {
      setDetail(await getJson<Detail>(`${LIST}/${id}`));
    } catch (reason) {
      setProblem(asApiError(reason).message);
    }
  };

  const columns: ColumnsType<ReceivedBag> = [
    {
      title: '移交批次',
      dataIndex: 'batch',
      width: 190,
      render: (batch: string, bag) => (
        <Button type="link" onClick={() => show(bag.id)}>
          {batch}
        </Button>
      ),
    },
    { title: '移交单位', dataIndex: 'sender', ellipsis: true },
    {
      title: '方式',
      key: 'kind',
      width: 110,
      render: (_, bag) => (bag.kind === 'person' ? '参保关系转移' : '进馆移交'),
    },
    { title: '全宗', dataIndex: 'fonds', width: 70 },
    {
      title: '结果',
      key: 'state',
      width: 100,
      render: (_, bag) => <Tag color={OUTCOME_COLOURS[bag.state]}>{OUTCOMES[bag.state]}</Tag>,
    },
    {
      title: '接收',
      key: 'received',
      width: 160,
      render: (_, bag) => (
        <>
          <div>{beijingText(bag.receivedAt, 'minute')}</div>
          <Typography.Text type="secondary">{bag.receivedBy}</Typography.Text>
        </>
      ),
    },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <Card title="接收移交包">
        <Form form={form} layout="inline" onFinish={receive}>
          <Form.Item name="fonds" label="接收进全宗" rules={[{ required: true, message: '请填写全宗号' }]}>
            <Input placeholder="如 J020" maxLength={4} style={{ width: 120 }} />
          </Form.Item>
          <Form.Item
            name="senderKey"
            label="移交方公钥"
            tooltip="移交方提供的签名公钥（Base64 SPKI）。填写后移交包须由它签署；不填时真实性注明未核对移交方公钥"
          >
            <Input placeholder="可选，Base64 SPKI" maxLength={4000} style={{ width: 240 }} />
          </Form.Item>
          <Form.Item label="移交包">
            <Upload
              accept=".tar,application/x-tar"
              maxCount={1}
              beforeUpload={(chosen) => {
                setFile(chosen);
                return false;
              }}
              onRemove={() => setFile(undefined)}
            >
              <Button icon={<UploadOutlined />}>选择 tar 文件</Button>
            </Upload>
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" loading={percent !== undefined}>
              校验并接收
            </Button>
          </Form.Item>
        </Form>
        {percent !== undefined && <Progress percent={percent} size="small" />}
        {problem && <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} />}
      </Card>
      {detail && <Outcome detail={detail} />}
      <Card title="已接收">
        {list.error ? (
          <ErrorNotice error={list.error} />
        ) : (
          <Table
            rowKey="id"
            size="small"
            loading={list.loading}
            columns={columns}
            dataSource={list.data?.bags ?? []}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
          />
        )}
      </Card>
    </Space>
  );
}
