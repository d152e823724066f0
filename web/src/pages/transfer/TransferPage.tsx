import { Alert, Button, Card, Form, Input, InputNumber, Radio, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { ApiError } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { getJson, postJson } from '../disposition/dispositionApi';
import { type BatchBrief, batchColour, batchPath, batchPaths, type DrawResult } from './transferView';

// 移交: the transfer batches of the user's fonds, newest first, and drawing a new one — by fonds,
// category, year and a search query (检索式, the search page's language) (进馆移交), or one insured person's archives (参保关系转移, by ID number; only its
// blind index is kept). Items that may not go are named with the reason on the batch's page.

const columns: ColumnsType<BatchBrief> = [
  {
    title: '批次编号',
    dataIndex: 'code',
    width: 190,
    render: (code: string) => <Link to={batchPath(code)}>{code}</Link>,
  },
  { title: '全宗', dataIndex: 'fonds', width: 70 },
  { title: '方式', dataIndex: 'kindLabel', ellipsis: true },
  { title: '接收单位', dataIndex: 'receiver', ellipsis: true },
  {
    title: '移交/不能移交',
    key: 'counts',
    width: 120,
    render: (_, batch) =>
      `${batch.counts.included + batch.counts.accepted + batch.counts.rejected}/${batch.counts.refused}`,
  },
  {
    title: '状态',
    key: 'state',
    width: 200,
    render: (_, batch) => <Tag color={batchColour(batch.state)}>{batch.stateLabel}</Tag>,
  },
  {
    title: '编制',
    key: 'drawn',
    width: 160,
    render: (_, batch) => (
      <>
        <div>{beijingText(batch.drawnAt, 'minute')}</div>
        <Typography.Text type="secondary">{batch.drawnBy}</Typography.Text>
      </>
    ),
  },
];

interface DrawForm {
  kind: 'fonds' | 'person';
  fonds: string;
  receiver: string;
  category?: string;
  year?: number;
  query?: string;
  idNumber?: string;
  receiverKey?: string;
}

export default function TransferPage() {
  const batches = useRequest(() => getJson<{ batches: BatchBrief[] }>(batchPaths.list), []);
  const navigate = useNavigate();
  const [form] = Form.useForm<DrawForm>();
  const kind = Form.useWatch('kind', form) ?? 'fonds';
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const draw = async (values: DrawForm) => {
    setBusy(true);
    setError(undefined);
    try {
      const drawn = await postJson<DrawResult>(batchPaths.list, {
        kind: values.kind,
        fonds: values.fonds.trim(),
        receiver: values.receiver.trim(),
        ...(values.category ? { category: values.category.trim() } : {}),
        ...(values.year ? { year: values.year } : {}),
        ...(values.kind === 'fonds' && values.query?.trim() ? { query: values.query.trim() } : {}),
        ...(values.kind === 'person' && values.idNumber ? { idNumber: values.idNumber.trim() } : {}),
        ...(values.receiverKey ? { receiverKey: values.receiverKey.trim() } : {}),
      });
      navigate(batchPath(drawn.code));
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Card
        title={
          <Typography.Title level={4} style={{ margin: 0 }}>
            移交批次
          </Typography.Title>
        }
        style={{ marginBottom: 16 }}
      >
        <ErrorNotice error={batches.error} retry={batches.reload} />
        <Table
          data-testid="transfer-batches"
          rowKey="code"
          size="middle"
          loading={batches.loading}
          columns={columns}
          dataSource={batches.data?.batches ?? []}
          locale={{ emptyText: '还没有移交批次' }}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
        />
      </Card>
      <Card title="编制移交批次">
        {error ? <Alert type="error" showIcon message={error.message} style={{ marginBottom: 16 }} /> : null}
        <Form
          form={form}
          layout="vertical"
          initialValues={{ kind: 'fonds' }}
          onFinish={draw}
          data-testid="transfer-draw"
          style={{ maxWidth: 640 }}
        >
          <Form.Item name="kind" label="移交方式">
            <Radio.Group>
              <Radio value="fonds">进馆移交</Radio>
              <Radio value="person">参保关系转移</Radio>
            </Radio.Group>
          </Form.Item>
          <Form.Item name="fonds" label="全宗号" rules={[{ required: true, message: '请填写全宗号' }]}>
            <Input maxLength={4} />
          </Form.Item>
          <Form.Item name="receiver" label="接收单位" rules={[{ required: true, message: '请填写接收单位' }]}>
            <Input maxLength={100} />
          </Form.Item>
          {kind === 'person' ? (
            <Form.Item
              name="idNumber"
              label="参保人身份证号（只保存其盲索引）"
              rules={[{ required: true, message: '请填写参保人身份证号' }]}
            >
              <Input.Password maxLength={18} autoComplete="off" />
            </Form.Item>
          ) : (
            <>
              <Form.Item name="category" label="类别代码（可选）">
                <Input maxLength={40} />
              </Form.Item>
              <Form.Item name="year" label="年度（可选）">
                <InputNumber min={1900} max={2200} style={{ width: 160 }} />
              </Form.Item>
              <Form.Item
                name="query"
                label="检索式（可选；与档案检索相同，如 题名:住院 AND 2023，只移交检索到的档案）"
              >
                <Input maxLength={500} data-testid="transfer-query" />
              </Form.Item>
            </>
          )}
          <Form.Item
            name="receiverKey"
            label="接收方公钥（base64；只登记由该密钥签署的回执，未填写则不能登记回执）"
          >
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            编制
          </Button>
        </Form>
      </Card>
    </>
  );
}
