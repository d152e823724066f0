import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { type Request, showFieldErrors } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { BatchQcDrawer } from './BatchQcDrawer';
import { useFonds } from './catalog';
import { BATCH_STATUS, type Batch, percent } from './scanLabels';

// 数字化批次: the batches in the user's scope with their QC state; a new batch; a batch's QC.

interface NewBatch {
  fondsCode: string;
  name: string;
  samplePercent: number;
  maxErrorPercent: number;
}

function CreateBatchModal({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<NewBatch>();
  const fonds = useFonds();
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string>();

  const save = async (values: NewBatch) => {
    setSaving(true);
    setProblem(undefined);
    try {
      const batch = await unwrap(
        api.POST('/api/v1/scan-batches', {
          body: {
            fondsCode: values.fondsCode,
            name: values.name.trim(),
            sampleRate: values.samplePercent / 100,
            maxErrorRate: values.maxErrorPercent / 100,
          },
        }),
      );
      message.success(`已新建数字化批次 ${batch.id}“${batch.name}”`);
      form.resetFields();
      onCreated();
    } catch (reason) {
      setProblem(showFieldErrors(form, reason));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title="新建数字化批次"
      okText="新建"
      confirmLoading={saving}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<NewBatch>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{ samplePercent: 5, maxErrorPercent: 0.5 }}
      >
        <Form.Item name="fondsCode" label="全宗" rules={[{ required: true, message: '请选择全宗' }]}>
          <Select
            options={(fonds.data ?? []).map((row) => ({ value: row.code, label: `${row.code} ${row.name}` }))}
          />
        </Form.Item>
        <Form.Item
          name="name"
          label="批次名称"
          rules={[
            { required: true, whitespace: true, message: '批次名称为必填项' },
            { max: 100, message: '最多100个字符' },
          ]}
        >
          <Input maxLength={100} placeholder="如：2024年门诊报销档案第1批" />
        </Form.Item>
        <Form.Item
          name="samplePercent"
          label="抽检比例（%）"
          rules={[{ required: true, message: '请填写抽检比例' }]}
        >
          <InputNumber min={0.1} max={100} step={1} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item
          name="maxErrorPercent"
          label="合格差错率上限（%）"
          rules={[{ required: true, message: '请填写合格差错率上限' }]}
        >
          <InputNumber min={0} max={50} step={0.1} style={{ width: '100%' }} />
        </Form.Item>
        {problem && <Alert type="error" showIcon title={problem} />}
      </Form>
    </Modal>
  );
}

export function BatchSection({ batches }: { batches: Request<Batch[]> }) {
  const { can } = useAuth();
  const [creating, setCreating] = useState(false);
  const [reviewing, setReviewing] = useState<Batch>();

  return (
    <Card
      title="数字化批次与质检"
      size="small"
      style={{ marginBottom: 16 }}
      extra={
        <Space>
          <Button size="small" onClick={batches.reload}>
            刷新
          </Button>
          {can('file.add') && (
            <Button size="small" type="primary" onClick={() => setCreating(true)}>
              新建批次
            </Button>
          )}
        </Space>
      }
    >
      <ErrorNotice error={batches.error} retry={batches.reload} />
      <Table<Batch>
        rowKey="id"
        size="small"
        loading={batches.loading && !batches.data}
        dataSource={batches.data ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false }}
        locale={{ emptyText: '尚无数字化批次' }}
        columns={[
          { title: '编号', dataIndex: 'id', width: 70 },
          { title: '批次名称', dataIndex: 'name' },
          { title: '全宗', dataIndex: 'fondsCode', width: 80 },
          {
            title: '状态',
            dataIndex: 'status',
            render: (status: string) => (
              <Tag color={BATCH_STATUS[status]?.color}>{BATCH_STATUS[status]?.label ?? status}</Tag>
            ),
          },
          { title: '页数', dataIndex: 'pages' },
          { title: 'OCR 完成', dataIndex: 'ocrDone' },
          { title: '待重扫', dataIndex: 'flagged' },
          { title: '抽检比例', dataIndex: 'sampleRate', render: (rate: number) => percent(rate) },
          { title: '差错率上限', dataIndex: 'maxErrorRate', render: (rate: number) => percent(rate, 2) },
          {
            title: '创建',
            key: 'created',
            render: (_, row) => `${row.createdBy} ${beijingText(row.createdAt, 'minute')}`,
          },
          {
            title: '操作',
            key: 'actions',
            render: (_, row) =>
              can('scan.qc') ? (
                <Button size="small" onClick={() => setReviewing(row)} aria-label={`批次 ${row.id} 质检`}>
                  质检
                </Button>
              ) : null,
          },
        ]}
      />
      <CreateBatchModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          batches.reload();
        }}
      />
      {reviewing && (
        <BatchQcDrawer batch={reviewing} onClose={() => setReviewing(undefined)} onChanged={batches.reload} />
      )}
    </Card>
  );
}
