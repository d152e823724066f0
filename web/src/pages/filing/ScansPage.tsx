import { Card, Descriptions, Form, Input, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { type Request, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { BatchSection } from './BatchSection';
import { itemPath } from './catalog';
import { OcrProgressCard } from './OcrProgressCard';
import { ScanPagesTable } from './ScanPagesTable';
import type { Batch } from './scanLabels';
import { UploadPanel } from './UploadPanel';

// 扫描与质检: upload electronic files and scans to one item (chosen by 档号, ?item= in the URL so
// the filing page can link here), see its pages' OCR state; digitization batches and their QC.

function ItemUploads({
  archiveCode,
  batches,
  version,
  onUploaded,
}: {
  archiveCode: string;
  batches: Request<Batch[]>;
  version: number;
  onUploaded: () => void;
}) {
  const item = useRequest(
    () => unwrap(api.GET('/api/v1/items/{archiveCode}', { params: { path: { archiveCode } } })),
    [archiveCode],
  );

  if (item.error) return <ErrorNotice error={item.error} retry={item.reload} />;
  if (!item.data) return null;
  return (
    <>
      {/* 档号 and 类别 side by side, the title (often long) on a line of its own. */}
      <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 12 }}>
        <Descriptions.Item label="档号">
          <Link to={itemPath(item.data.archiveCode)}>{item.data.archiveCode}</Link>
        </Descriptions.Item>
        <Descriptions.Item label="类别">{item.data.categoryName}</Descriptions.Item>
        <Descriptions.Item label="题名" span="filled">
          {item.data.title}
        </Descriptions.Item>
      </Descriptions>
      <UploadPanel archiveCode={item.data.archiveCode} batches={batches.data ?? []} onUploaded={onUploaded} />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        扫描页与 OCR 状态
      </Typography.Title>
      <ScanPagesTable archiveCode={item.data.archiveCode} version={version} />
    </>
  );
}

export default function ScansPage() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const archiveCode = params.get('item')?.trim() ?? '';
  const [typed, setTyped] = useState(archiveCode);
  const batches = useRequest(
    () => unwrap(api.GET('/api/v1/scan-batches')).then((answer) => answer.batches),
    [],
  );

  // Each upload reads the item's pages, the batches and the OCR queue again.
  const [version, setVersion] = useState(0);
  const { reload } = batches;
  const uploaded = useCallback(() => {
    setVersion((value) => value + 1);
    reload();
  }, [reload]);

  const choose = (value: string) => {
    const code = value.trim();
    setParams(code ? { item: code } : {});
  };

  return (
    <>
      <Typography.Title level={3}>扫描与质检</Typography.Title>
      {can('file.add') && (
        <Card title="上传扫描件与电子文件" size="small" style={{ marginBottom: 16 }}>
          <Form layout="vertical" component="div">
            <Form.Item label="档号" htmlFor="scan-item" extra="输入完整档号后按回车或点“选择”">
              <Input.Search
                id="scan-item"
                value={typed}
                onChange={(event) => setTyped(event.target.value)}
                onSearch={choose}
                enterButton="选择"
                allowClear
                placeholder="如 J013-JSLX·2024-D30-JSK-0001"
                style={{ maxWidth: 560 }}
              />
            </Form.Item>
          </Form>
          {archiveCode && (
            <ItemUploads
              key={archiveCode}
              archiveCode={archiveCode}
              batches={batches}
              version={version}
              onUploaded={uploaded}
            />
          )}
        </Card>
      )}
      <OcrProgressCard version={version} />
      {can('scan.qc') && <BatchSection batches={batches} />}
    </>
  );
}
