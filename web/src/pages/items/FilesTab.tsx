import { DownloadOutlined, EyeOutlined, UploadOutlined } from '@ant-design/icons';
import { App, Button, Form, Input, Modal, Space, Table, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, download, fetchBlob, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useAuth } from '../../app/auth';
import { asApiError, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { FileViewer, type ViewedFile } from './FileViewer';
import { codeParam, dateTime } from './itemFields';

// 电子文件: the files attached to the item. Every copy that leaves carries a visible watermark with
// the reader, the time and the stated purpose, so 查看 and 下载 first ask what the copy is for.

type AttachedFile = ResponseOf<'/api/v1/items/{archiveCode}/files', 'get'>['files'][number];

const PURPOSE_KEY = 'yidang.files.purpose';

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

function Digest({ digest }: { digest: string }) {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  return (
    <Tooltip title={<span style={{ wordBreak: 'break-all' }}>{digest}</span>}>
      {/* The copy button gives the full digest to keyboard users too. */}
      <Typography.Text code copyable={{ text: digest, tooltips: ['复制完整摘要', '已复制'] }}>
        {algorithm ? `${algorithm}:` : ''}
        {hex?.slice(0, 12)}…
      </Typography.Text>
    </Tooltip>
  );
}

const filePath = (archiveCode: string, file: AttachedFile, purpose: string, inline: boolean) =>
  `/api/v1/items/${encodeURIComponent(archiveCode)}/files/${file.fileNumber}?${new URLSearchParams({
    purpose,
    ...(inline ? { inline: 'true' } : {}),
  })}`;

export function FilesTab({ archiveCode }: { archiveCode: string }) {
  const { can } = useAuth();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ purpose: string }>();
  const [asking, setAsking] = useState<{ file: AttachedFile; action: 'view' | 'download' }>();
  const [busy, setBusy] = useState(false);
  const [viewed, setViewed] = useState<ViewedFile>();
  const files = useRequest(
    () => unwrap(api.GET('/api/v1/items/{archiveCode}/files', { params: codeParam(archiveCode) })),
    [archiveCode],
  );

  const deliver = async () => {
    if (!asking) return;
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const trimmed = values.purpose.trim();
    sessionStorage.setItem(PURPOSE_KEY, trimmed);
    setBusy(true);
    try {
      if (asking.action === 'download') {
        await download(filePath(archiveCode, asking.file, trimmed, false), asking.file.fileName);
        message.success('已下载加盖水印的副本（下载已记入日志）');
      } else {
        const blob = await fetchBlob(filePath(archiveCode, asking.file, trimmed, true));
        setViewed({ fileName: asking.file.fileName, blob });
      }
      setAsking(undefined);
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const ask = (file: AttachedFile, action: 'view' | 'download') => setAsking({ file, action });

  return (
    <div>
      <Space style={{ marginBottom: 12 }}>
        {can('file.add') && (
          <Link to={`/filing/scans?item=${encodeURIComponent(archiveCode)}`}>
            <UploadOutlined /> 上传文件/扫描件
          </Link>
        )}
      </Space>
      <ErrorNotice error={files.error} retry={files.reload} />
      <Table<AttachedFile>
        rowKey="fileNumber"
        size="middle"
        loading={files.loading}
        dataSource={files.data?.files ?? []}
        pagination={false}
        locale={{ emptyText: '尚未挂接电子文件' }}
        columns={[
          { title: '序号', dataIndex: 'fileNumber', width: 70 },
          { title: '文件名', dataIndex: 'fileName', ellipsis: true },
          { title: '大小', dataIndex: 'size', width: 100, render: (size: number) => formatSize(size) },
          { title: '类型', dataIndex: 'mediaType', width: 160 },
          {
            title: '摘要',
            dataIndex: 'digest',
            width: 190,
            render: (digest: string) => <Digest digest={digest} />,
          },
          {
            title: '挂接',
            width: 210,
            render: (_, file) => (
              <span>
                {file.addedBy}
                <br />
                <Typography.Text type="secondary">{dateTime(file.addedAt)}</Typography.Text>
              </span>
            ),
          },
          {
            title: '操作',
            width: 170,
            render: (_, file) => (
              <Space>
                <Button size="small" icon={<EyeOutlined />} onClick={() => ask(file, 'view')}>
                  查看
                </Button>
                <Button size="small" icon={<DownloadOutlined />} onClick={() => ask(file, 'download')}>
                  下载
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        title={asking?.action === 'download' ? '下载电子文件' : '查看电子文件'}
        open={asking !== undefined}
        okText={asking?.action === 'download' ? '下载' : '查看'}
        cancelText="取消"
        confirmLoading={busy}
        onOk={() => void deliver()}
        onCancel={() => setAsking(undefined)}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">
          PDF 与图像将加盖可见水印（查阅人、时间、用途、追踪号），本次调阅记入事件日志。
        </Typography.Paragraph>
        <Form
          form={form}
          name="filePurpose"
          layout="vertical"
          preserve={false}
          // The last purpose given in this browser session, since one task often reads several files.
          initialValues={{ purpose: sessionStorage.getItem(PURPOSE_KEY) ?? '' }}
          onFinish={() => void deliver()}
        >
          <Form.Item
            name="purpose"
            label="用途"
            rules={[
              { required: true, whitespace: true, message: '请填写用途（印在水印上）' },
              { max: 200, message: '用途最多200个字' },
            ]}
          >
            <Input placeholder="如：待遇复核、信访调查" autoComplete="off" />
          </Form.Item>
        </Form>
      </Modal>
      <FileViewer file={viewed} onClose={() => setViewed(undefined)} />
    </div>
  );
}
