import { Alert, App, Button, Card, Descriptions, Form, InputNumber, Modal, Radio, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { namesOf } from '../../app/vocabulary';
import { ErrorNotice } from '../../components/ErrorNotice';

// 固定性检查: re-reads stored copies, compares digests and repairs a missing or damaged copy from a
// good one. 立即检查 runs it now, on every file or a random sample; the server answers when done.

type Run = ResponseOf<'/api/v1/fixity/runs', 'get'>['runs'][number];
type Report = ResponseOf<'/api/v1/fixity', 'post'>;
type Finding = Report['findings'][number];

const RUN_COLOR: Record<string, string> = { running: 'processing', finished: 'success', failed: 'error' };
const RUN_STATUS_NAMES = namesOf((v) => v.values.fixityRunStatus);
const PROBLEMS = namesOf((v) => v.values.fixityProblem);
// On one line: a time broken after its date is hard to scan down a column.
const time = (iso: string | null) => <span style={{ whiteSpace: 'nowrap' }}>{beijingText(iso)}</span>;

const runColumns: ColumnsType<Run> = [
  { title: '编号', dataIndex: 'id' },
  { title: '开始时间', dataIndex: 'started_at', render: time },
  { title: '结束时间', dataIndex: 'finished_at', render: time },
  { title: '操作人', dataIndex: 'actor' },
  {
    title: '范围',
    dataIndex: 'sample',
    render: (sample: number | null) => (sample === null ? '全部文件' : `抽样 ${sample} 个`),
  },
  { title: '文件', dataIndex: 'blobs' },
  { title: '副本', dataIndex: 'copies' },
  { title: '完好', dataIndex: 'ok' },
  { title: '已修复', dataIndex: 'repaired' },
  {
    title: '修复失败',
    dataIndex: 'unrepaired',
    render: (count: number) => (count > 0 ? <Tag color="error">{count}</Tag> : count),
  },
  {
    title: '丢失',
    dataIndex: 'lost',
    render: (count: number) => (count > 0 ? <Tag color="error">{count}</Tag> : count),
  },
  {
    title: '状态',
    dataIndex: 'status',
    render: (status: string) => (
      <Tag color={RUN_COLOR[status] ?? 'default'}>{RUN_STATUS_NAMES[status] ?? status}</Tag>
    ),
  },
];

function ReportView({ report }: { report: Report }) {
  const bad = report.unrepaired + report.lost;
  return (
    <>
      <Alert
        type={bad > 0 ? 'error' : report.repaired > 0 ? 'warning' : 'success'}
        showIcon
        style={{ marginBottom: 16 }}
        title={
          bad > 0
            ? `发现 ${bad} 处未能修复的问题${report.lost > 0 ? '，有文件须从备份恢复' : ''}`
            : report.repaired > 0
              ? `已修复 ${report.repaired} 个副本`
              : '全部副本完好'
        }
      />
      <Descriptions size="small" bordered column={2} style={{ marginBottom: 16 }}>
        <Descriptions.Item label="检查编号">{report.runId}</Descriptions.Item>
        <Descriptions.Item label="文件数">{report.blobs}</Descriptions.Item>
        <Descriptions.Item label="副本数">{report.copies}</Descriptions.Item>
        <Descriptions.Item label="读取字节">{report.bytes.toLocaleString('zh-CN')}</Descriptions.Item>
        <Descriptions.Item label="完好">{report.ok}</Descriptions.Item>
        <Descriptions.Item label="已修复">{report.repaired}</Descriptions.Item>
        <Descriptions.Item label="修复失败">{report.unrepaired}</Descriptions.Item>
        <Descriptions.Item label="丢失">{report.lost}</Descriptions.Item>
        <Descriptions.Item label="清理临时文件">{report.temporaryRemoved}</Descriptions.Item>
      </Descriptions>
      {report.findings.length > 0 && (
        <Table<Finding>
          rowKey={(finding) => `${finding.digest}-${finding.replica}-${finding.problem}`}
          size="small"
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          dataSource={report.findings}
          columns={[
            {
              title: '副本',
              dataIndex: 'replica',
              width: 90,
              render: (name: string) => (name === '*' ? '全部' : name),
            },
            {
              title: '问题',
              dataIndex: 'problem',
              width: 110,
              render: (code: string) => PROBLEMS[code] ?? code,
            },
            {
              title: '已修复',
              dataIndex: 'repaired',
              width: 70,
              render: (done: boolean) => (done ? '是' : '否'),
            },
            { title: '说明', dataIndex: 'detail' },
          ]}
        />
      )}
    </>
  );
}

interface RunValues {
  mode: 'all' | 'sample';
  sample?: number;
}

export function FixityPanel() {
  const { message } = App.useApp();
  const runs = useRequest(
    () => unwrap(api.GET('/api/v1/fixity/runs', { params: { query: { limit: 20 } } })),
    [],
  );
  const [asking, setAsking] = useState(false);
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState<Report>();
  const [form] = Form.useForm<RunValues>();
  const mode = Form.useWatch('mode', form);

  const start = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setRunning(true);
    try {
      const answer = await unwrap(
        api.POST('/api/v1/fixity', { body: values.mode === 'sample' ? { sample: values.sample } : {} }),
      );
      setAsking(false);
      setReport(answer);
      runs.reload();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setRunning(false);
    }
  };

  return (
    <Card
      title="固定性检查"
      extra={
        <Button type="primary" onClick={() => setAsking(true)}>
          立即检查
        </Button>
      }
    >
      <ErrorNotice error={runs.error} retry={runs.reload} />
      <Table<Run>
        rowKey="id"
        size="small"
        loading={runs.loading}
        columns={runColumns}
        dataSource={runs.data?.runs ?? []}
        pagination={false}
        locale={{ emptyText: '还没有固定性检查记录' }}
      />
      <Modal
        title="立即进行固定性检查"
        open={asking}
        okText="开始检查"
        cancelText="取消"
        confirmLoading={running}
        onOk={() => void start()}
        onCancel={() => setAsking(false)}
      >
        <Form<RunValues>
          form={form}
          layout="vertical"
          name="fixity-run"
          initialValues={{ mode: 'sample', sample: 100 }}
        >
          <Form.Item name="mode" label="检查范围">
            <Radio.Group
              options={[
                { value: 'sample', label: '随机抽样' },
                { value: 'all', label: '全部文件（文件多时耗时较长）' },
              ]}
            />
          </Form.Item>
          {mode !== 'all' && (
            <Form.Item
              name="sample"
              label="抽样文件数"
              rules={[
                { required: true, message: '请填写抽样文件数' },
                { type: 'number', min: 1, message: '至少抽查 1 个文件' },
              ]}
            >
              <InputNumber min={1} precision={0} suffix="个" />
            </Form.Item>
          )}
        </Form>
      </Modal>
      <Modal
        title="固定性检查结果"
        open={Boolean(report)}
        width={760}
        footer={<Button onClick={() => setReport(undefined)}>确定</Button>}
        onCancel={() => setReport(undefined)}
      >
        {report && <ReportView report={report} />}
      </Modal>
    </Card>
  );
}
