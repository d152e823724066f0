import { UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  InputNumber,
  Progress,
  Row,
  Select,
  Space,
  Typography,
  Upload,
} from 'antd';
import { useState } from 'react';
import { api, fetchBlob, unwrap, uploadWithProgress } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { ImportReport, type ImportResult } from './ImportReport';
import { MappingModal } from './MappingModal';

// 批量导入: a CSV or XLSX ledger is uploaded, every row checked with the filing rules, valid rows filed
// in batches; the answer is shown row by row. The XLSX report is the same import asked again with
// report=xlsx: the server skips the lines already filed, so nothing is filed twice.

interface Options {
  mapping?: string;
  allOrNothing: boolean;
  batchSize?: number | null;
}

function importPath(options: Options, report?: 'xlsx'): string {
  const query = new URLSearchParams();
  if (options.mapping) query.set('mapping', options.mapping);
  if (options.allOrNothing) query.set('allOrNothing', 'true');
  if (options.batchSize) query.set('batchSize', String(options.batchSize));
  if (report) query.set('report', report);
  const text = query.toString();
  return `/api/v1/imports${text ? `?${text}` : ''}`;
}

const formOf = (file: File) => {
  const form = new FormData();
  form.append('file', file, file.name);
  return form;
};

export default function ImportPage() {
  const { message } = App.useApp();
  const [form] = Form.useForm<Options>();
  const mappings = useRequest(
    () => unwrap(api.GET('/api/v1/import-mappings')).then((answer) => answer.mappings),
    [],
  );
  const [file, setFile] = useState<File>();
  const [percent, setPercent] = useState<number>();
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [result, setResult] = useState<{ answer: ImportResult; file: File; options: Options }>();
  const [downloading, setDownloading] = useState(false);
  const [mappingOpen, setMappingOpen] = useState(false);

  const run = async (options: Options) => {
    if (!file) {
      setProblem('请先选择要导入的 CSV 或 XLSX 文件');
      return;
    }
    setRunning(true);
    setProblem(undefined);
    setResult(undefined);
    setPercent(0);
    try {
      const answer = await uploadWithProgress<ImportResult>(importPath(options), formOf(file), setPercent);
      setResult({ answer, file, options });
      message.success(`导入完成：归档 ${answer.filed} 行，未通过 ${answer.rejected} 行`);
    } catch (reason) {
      setProblem(asApiError(reason).message);
    } finally {
      setRunning(false);
      setPercent(undefined);
    }
  };

  const downloadReport = async () => {
    if (!result) return;
    setDownloading(true);
    try {
      const blob = await fetchBlob(importPath(result.options, 'xlsx'), {
        method: 'POST',
        body: formOf(result.file),
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${result.file.name.replace(/\.[^.]*$/, '')}.导入报告.xlsx`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (reason) {
      message.error(asApiError(reason).message);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <>
      <Typography.Title level={3}>批量导入</Typography.Title>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">
          表头为字段中文名（全宗号、类别、机构、题名、责任者、日期、身份证号、姓名、金额……）或 extra.字段（如
          extra.hospital）的列直接采用；其他表头或文件中没有的全宗号、类别，请先“新建列映射”再选用。每行按著录规则校验，全部检查后再分批归档。
        </Typography.Paragraph>
        <Form<Options> form={form} layout="vertical" initialValues={{ allOrNothing: false }} onFinish={run}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item
                label="导入文件"
                htmlFor="import-file"
                required
                extra={
                  file ? `已选：${file.name}（${file.size} 字节）` : 'CSV（UTF-8 或 GBK）或 XLSX，最大 200 MB'
                }
              >
                <Upload
                  id="import-file"
                  accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                  showUploadList={false}
                  beforeUpload={(chosen) => {
                    setFile(chosen);
                    setProblem(undefined);
                    return false;
                  }}
                >
                  <Button icon={<UploadOutlined />}>选择文件</Button>
                </Upload>
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item
                name="mapping"
                label="列映射"
                extra={mappings.error ? mappings.error.message : '不选则按表头识别'}
              >
                <Select
                  allowClear
                  placeholder="不使用映射"
                  loading={mappings.loading}
                  options={(mappings.data ?? []).map((row) => ({
                    value: row.name,
                    label: `${row.name}（${row.savedBy}）`,
                  }))}
                  popupRender={(menu) => (
                    <>
                      {menu}
                      <Button type="link" onClick={() => setMappingOpen(true)}>
                        新建列映射
                      </Button>
                    </>
                  )}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="batchSize" label="每批行数" extra="默认 1000 行一批">
                <InputNumber min={1} max={10000} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="allOrNothing" valuePropName="checked">
            <Checkbox>全部通过才归档（有任何一行未通过则一行也不归档）</Checkbox>
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" loading={running}>
              开始导入
            </Button>
            <Button onClick={() => setMappingOpen(true)}>新建列映射</Button>
          </Space>
        </Form>
        {percent !== undefined && (
          <div style={{ marginTop: 12 }}>
            <Progress percent={percent} status="active" aria-label="上传进度" />
            <Typography.Text type="secondary">
              {percent < 100 ? '正在上传…' : '上传完成，正在逐行校验与归档…'}
            </Typography.Text>
          </div>
        )}
        {problem && (
          <Alert type="error" showIcon title="未导入" description={problem} style={{ marginTop: 12 }} />
        )}
      </Card>
      {result && (
        <ImportReport
          key={result.answer.jobId}
          result={result.answer}
          onDownload={downloadReport}
          downloading={downloading}
        />
      )}
      <MappingModal
        open={mappingOpen}
        onClose={() => setMappingOpen(false)}
        onSaved={(name) => {
          setMappingOpen(false);
          mappings.reload();
          form.setFieldValue('mapping', name);
        }}
      />
    </>
  );
}
