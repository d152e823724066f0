import { Button, Space, Table, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { COLOUR_MODES, dpiText, OCR_STATUS, SCAN_FLAGS, type ScanPage, usePolling } from './scanLabels';

// An item's scanned pages with resolution, flags and OCR state; refreshed while OCR is still
// working on them. `version` changes after each upload so the list is read again.

export function ScanPagesTable({ archiveCode, version }: { archiveCode: string; version: number }) {
  const pages = useRequest(
    () =>
      unwrap(api.GET('/api/v1/items/{archiveCode}/scans', { params: { path: { archiveCode } } })).then(
        (answer) => answer.pages,
      ),
    [archiveCode],
  );
  const { reload } = pages;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  const working = (pages.data ?? []).some(
    (page) => page.ocrStatus === 'queued' || page.ocrStatus === 'running',
  );
  usePolling(reload, working, 3000);

  return (
    <>
      <ErrorNotice error={pages.error} retry={reload} />
      <Space style={{ marginBottom: 8 }}>
        <Typography.Text type="secondary">
          共 {pages.data?.length ?? 0} 页{working ? '，OCR 识别进行中，列表每 3 秒刷新' : ''}
        </Typography.Text>
        <Button size="small" onClick={reload}>
          刷新
        </Button>
      </Space>
      <Table<ScanPage>
        rowKey="page"
        size="small"
        loading={pages.loading && !pages.data}
        dataSource={pages.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        locale={{ emptyText: '尚无扫描页' }}
        columns={[
          { title: '页序号', dataIndex: 'page', width: 80 },
          { title: '图像名', dataIndex: 'imageName' },
          {
            title: '文件/页',
            key: 'file',
            render: (_, row) => `文件 ${row.fileNumber} 第 ${row.pageInFile} 页`,
          },
          { title: '像素', key: 'size', render: (_, row) => `${row.width}×${row.height}` },
          { title: '分辨率', key: 'dpi', render: (_, row) => dpiText(row.dpiX, row.dpiY) },
          { title: '色彩', dataIndex: 'colourMode', render: (mode: string) => COLOUR_MODES[mode] ?? mode },
          {
            title: '标记',
            dataIndex: 'flags',
            render: (flags: string[]) =>
              flags.length === 0
                ? '—'
                : flags.map((flag) => (
                    <Tag key={flag} color="warning">
                      {SCAN_FLAGS[flag] ?? flag}
                    </Tag>
                  )),
          },
          {
            title: 'OCR 状态',
            key: 'ocr',
            render: (_, row) => {
              const status = OCR_STATUS[row.ocrStatus];
              return (
                <Space size={4}>
                  <Tag color={status?.color}>{status?.label ?? row.ocrStatus}</Tag>
                  {row.ocrError && <Typography.Text type="danger">{row.ocrError}</Typography.Text>}
                </Space>
              );
            },
          },
          {
            title: '置信度',
            key: 'confidence',
            render: (_, row) =>
              row.ocrConfidence === null
                ? '—'
                : `${row.ocrConfidence.toFixed(1)}（${row.ocrCharacters ?? 0} 字）`,
          },
        ]}
      />
    </>
  );
}
