import { InboxOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Form, Progress, Row, Select, Typography, Upload } from 'antd';
import { useState } from 'react';
import { api, unwrap, uploadWithProgress } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { RECONCILE_SOURCES, type ReconcileResult, type ReconcileSource, reconcilePath } from './povertyApi';
import { RecentRuns } from './RecentRuns';
import { ReconcileResultCard } from './ReconcileResult';

// 名单核对: a department's list (扶贫办、民政……) is checked row by row against the insured roster; the
// answer counts each outcome and links the workbooks to hand back. The list itself is not kept.

interface Values {
  source?: ReconcileSource;
}

const LIST_TYPES = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function ReconcileTab() {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [file, setFile] = useState<File>();
  const [fileError, setFileError] = useState<string>();
  const [percent, setPercent] = useState<number>();
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [result, setResult] = useState<ReconcileResult>();
  const runs = useRequest(() => unwrap(api.GET('/api/v1/reconciliations')).then((answer) => answer.runs), []);

  const run = async ({ source }: Values) => {
    if (!file) {
      setFileError('请先选择名单文件（CSV 或 XLSX）');
      return;
    }
    if (!source) return;
    setRunning(true);
    setProblem(undefined);
    setResult(undefined);
    setPercent(0);
    try {
      const body = new FormData();
      body.append('file', file, file.name);
      const answer = await uploadWithProgress<ReconcileResult>(reconcilePath(source), body, setPercent);
      setResult(answer);
      message.success(`核对完成：${answer.rows} 行，需督促参保缴费 ${answer.followUps} 人`);
      runs.reload();
    } catch (reason) {
      setProblem(asApiError(reason).message);
    } finally {
      setRunning(false);
      setPercent(undefined);
    }
  };

  return (
    <>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">
          上传来文单位的名单（CSV 或 XLSX，含“姓名”“身份证号”列，可有标题行与合计行），逐行与参保名册比对：
          姓名同音字、错别字、身份证号有误等返回来文单位更正；未参保或已登记未参保的人员列入参保缴费待办清单。
        </Typography.Paragraph>
        <Form<Values> form={form} layout="vertical" onFinish={run}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item
                name="source"
                label="来文单位"
                rules={[{ required: true, message: '请选择来文单位' }]}
              >
                <Select
                  placeholder="请选择来文单位"
                  options={RECONCILE_SOURCES.map((source) => ({ value: source, label: source }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={16}>
              <Form.Item
                label="名单文件"
                htmlFor="reconcile-file"
                required
                validateStatus={fileError ? 'error' : undefined}
                help={fileError}
                extra={
                  file ? `已选：${file.name}（${file.size} 字节）` : 'CSV（UTF-8 或 GBK）或 XLSX，最大 100 MB'
                }
              >
                <Upload.Dragger
                  id="reconcile-file"
                  accept={LIST_TYPES}
                  showUploadList={false}
                  beforeUpload={(chosen) => {
                    setFile(chosen);
                    setFileError(undefined);
                    setProblem(undefined);
                    return false;
                  }}
                >
                  <p className="ant-upload-drag-icon">
                    <InboxOutlined />
                  </p>
                  <p className="ant-upload-text">点击或拖入名单文件</p>
                </Upload.Dragger>
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" htmlType="submit" loading={running}>
            开始核对
          </Button>
        </Form>
        {percent !== undefined && (
          <div style={{ marginTop: 12 }}>
            <Progress percent={percent} status="active" aria-label="上传进度" />
            <Typography.Text type="secondary">
              {percent < 100 ? '正在上传…' : '上传完成，正在与参保名册逐行比对…'}
            </Typography.Text>
          </div>
        )}
        {problem && (
          <Alert type="error" showIcon title="未核对" description={problem} style={{ marginTop: 12 }} />
        )}
      </Card>
      {result && <ReconcileResultCard key={result.runId} result={result} />}
      <RecentRuns runs={runs} />
    </>
  );
}
