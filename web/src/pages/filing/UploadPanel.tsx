import { UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Col,
  Form,
  Progress,
  Row,
  Select,
  Space,
  Tag,
  Typography,
  Upload,
  type UploadProps,
} from 'antd';
import { useRef, useState } from 'react';
import { uploadWithProgress } from '../../api/client';
import { asApiError } from '../../app/hooks';
import {
  type AttachedFile,
  type Batch,
  COLOUR_MODES,
  dpiText,
  SCAN_FLAGS,
  type ScanResult,
} from './scanLabels';

// Uploads to one item: electronic files (挂接电子文件) and scans (扫描件, checked for resolution and
// queued for OCR), one at a time so page numbers follow the order chosen, each with its progress.

type Kind = 'file' | 'scan';
type UploadRequest = Parameters<NonNullable<UploadProps['customRequest']>>[0];

interface Entry {
  key: string;
  name: string;
  kind: Kind;
  percent: number;
  status: 'waiting' | 'uploading' | 'done' | 'error';
  scan?: ScanResult;
  file?: AttachedFile;
  error?: string;
}

const SCAN_TYPES = '.tif,.tiff,.jpg,.jpeg,.png,.pdf,image/tiff,image/jpeg,image/png,application/pdf';

function ScanOutcome({ scan }: { scan: ScanResult }) {
  return (
    <Space orientation="vertical" size={2}>
      <Typography.Text>
        已存 {scan.pages.length} 页（{scan.format.toUpperCase()}），存为 {scan.fileName}
      </Typography.Text>
      {scan.pages.map((page) => (
        <Typography.Text key={page.page} type="secondary">
          第 {page.page} 页 {page.imageName}：{page.width}×{page.height}，{dpiText(page.dpiX, page.dpiY)}，
          {COLOUR_MODES[page.colourMode] ?? page.colourMode}
          {page.flags.map((flag) => (
            <Tag key={flag} color="warning" style={{ marginLeft: 6 }}>
              {SCAN_FLAGS[flag] ?? flag}
            </Tag>
          ))}
        </Typography.Text>
      ))}
      {scan.lowResolution.length > 0 && (
        <Typography.Text type="warning">
          第 {scan.lowResolution.join('、')} 页分辨率不足，已按本全宗规则收下并列入待重扫
        </Typography.Text>
      )}
    </Space>
  );
}

function EntryRow({ entry }: { entry: Entry }) {
  return (
    <div style={{ padding: '8px 12px', borderBottom: '1px solid #f0f0f0' }}>
      <div>
        <Space>
          <Tag color={entry.kind === 'scan' ? 'blue' : 'purple'}>
            {entry.kind === 'scan' ? '扫描件' : '电子文件'}
          </Tag>
          <Typography.Text strong>{entry.name}</Typography.Text>
          {entry.status === 'waiting' && <Typography.Text type="secondary">等待上传</Typography.Text>}
        </Space>
        <Progress
          percent={entry.percent}
          size="small"
          status={entry.status === 'error' ? 'exception' : entry.status === 'done' ? 'success' : 'active'}
          aria-label={`${entry.name} 上传进度`}
        />
        {entry.error && <Alert type="error" showIcon title={`未收下：${entry.error}`} />}
        {entry.scan && <ScanOutcome scan={entry.scan} />}
        {entry.file && (
          <Typography.Text>
            已挂接为第 {entry.file.fileNumber} 个电子文件（{entry.file.mediaType}，{entry.file.size} 字节），
            副本 {entry.file.replicas.length} 处
          </Typography.Text>
        )}
      </div>
    </div>
  );
}

export function UploadPanel({
  archiveCode,
  batches,
  onUploaded,
}: {
  archiveCode: string;
  batches: Batch[];
  onUploaded: (kind: Kind) => void;
}) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [batchId, setBatchId] = useState<number>();
  const queue = useRef<Promise<void>>(Promise.resolve());
  const update = (key: string, change: Partial<Entry>) =>
    setEntries((list) => list.map((entry) => (entry.key === key ? { ...entry, ...change } : entry)));

  const enqueue = (kind: Kind) => (options: UploadRequest) => {
    const file = options.file as File & { uid?: string };
    const key = `${kind}-${file.uid ?? file.name}-${Date.now()}`;
    setEntries((list) => [{ key, name: file.name, kind, percent: 0, status: 'waiting' }, ...list]);
    const code = encodeURIComponent(archiveCode);
    const path =
      kind === 'file'
        ? `/api/v1/items/${code}/files`
        : `/api/v1/items/${code}/scans${batchId ? `?batch=${batchId}` : ''}`;
    queue.current = queue.current.then(async () => {
      update(key, { status: 'uploading' });
      const form = new FormData();
      form.append('file', file, file.name);
      try {
        const answer = await uploadWithProgress<ScanResult | AttachedFile>(path, form, (percent) =>
          update(key, { percent }),
        );
        update(key, {
          status: 'done',
          percent: 100,
          ...(kind === 'scan' ? { scan: answer as ScanResult } : { file: answer as AttachedFile }),
        });
        options.onSuccess?.(answer);
        onUploaded(kind);
      } catch (reason) {
        update(key, { status: 'error', error: asApiError(reason).message });
      }
    });
  };

  const open = batches.filter((batch) => batch.status === 'scanning' || batch.status === 'returned');
  return (
    <Form layout="vertical" component="div">
      <Row gutter={24}>
        <Col xs={24} md={8}>
          <Form.Item label="电子文件" htmlFor="upload-file" extra="任意格式，挂接到本档案">
            <Upload id="upload-file" multiple showUploadList={false} customRequest={enqueue('file')}>
              <Button icon={<UploadOutlined />}>选择电子文件</Button>
            </Upload>
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item label="数字化批次" htmlFor="upload-batch" extra="可选；质检中的批次暂不收新页">
            <Select
              id="upload-batch"
              allowClear
              placeholder="不归入批次"
              value={batchId}
              onChange={setBatchId}
              options={open.map((batch) => ({
                value: batch.id,
                label: `${batch.id} ${batch.name}（${batch.fondsCode}）`,
              }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item
            label="扫描件"
            htmlFor="upload-scan"
            extra="TIFF（可多页）、JPEG、PNG、PDF；检查分辨率后排队 OCR"
          >
            <Upload
              id="upload-scan"
              multiple
              accept={SCAN_TYPES}
              showUploadList={false}
              customRequest={enqueue('scan')}
            >
              <Button icon={<UploadOutlined />}>选择扫描件</Button>
            </Upload>
          </Form.Item>
        </Col>
      </Row>
      {entries.length > 0 && (
        <div style={{ border: '1px solid #f0f0f0', borderRadius: 8 }}>
          {entries.map((entry) => (
            <EntryRow key={entry.key} entry={entry} />
          ))}
        </div>
      )}
    </Form>
  );
}
