import { Progress, Table, Tag, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { COLOUR_MODES, OCR_STATUS, SCAN_FLAGS } from '../filing/scanLabels';
import { codeParam } from './itemFields';

// 扫描页: each scanned page of the item with its resolution, colour mode, the flags that call for
// a rescan, and how far OCR got.

type ScanPage = ResponseOf<'/api/v1/items/{archiveCode}/scans', 'get'>['pages'][number];

// The names are the server's vocabulary; the colours are this tab's.
const FLAG_COLOURS: Record<string, string> = {
  low_resolution: 'red',
  low_confidence: 'orange',
  no_text: 'gold',
};

const dpi = (page: ScanPage) =>
  page.dpiX === null
    ? '未知'
    : page.dpiX === page.dpiY || page.dpiY === null
      ? `${page.dpiX}`
      : `${page.dpiX}×${page.dpiY}`;

export function ScansTab({ archiveCode }: { archiveCode: string }) {
  const scans = useRequest(
    () => unwrap(api.GET('/api/v1/items/{archiveCode}/scans', { params: codeParam(archiveCode) })),
    [archiveCode],
  );
  return (
    <div>
      <ErrorNotice error={scans.error} retry={scans.reload} />
      <Table<ScanPage>
        rowKey="page"
        size="middle"
        loading={scans.loading}
        dataSource={scans.data?.pages ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        locale={{ emptyText: '没有扫描页' }}
        columns={[
          { title: '页', dataIndex: 'page', width: 60 },
          { title: '图像名', dataIndex: 'imageName' },
          {
            title: '文件·页',
            width: 90,
            render: (_, page) => `${page.fileNumber}·${page.pageInFile}`,
          },
          { title: '批次', dataIndex: 'batchId', width: 70, render: (batch: number | null) => batch ?? '—' },
          { title: '尺寸（像素）', width: 120, render: (_, page) => `${page.width}×${page.height}` },
          { title: '分辨率（dpi）', width: 110, render: (_, page) => dpi(page) },
          {
            title: '色彩',
            dataIndex: 'colourMode',
            width: 90,
            render: (mode: string) => COLOUR_MODES[mode] ?? mode,
          },
          {
            title: '标记',
            dataIndex: 'flags',
            width: 150,
            render: (flags: string[]) =>
              flags.length === 0 ? (
                <Typography.Text type="secondary">—</Typography.Text>
              ) : (
                flags.map((flag) => (
                  <Tag key={flag} color={FLAG_COLOURS[flag]}>
                    {SCAN_FLAGS[flag] ?? flag}
                  </Tag>
                ))
              ),
          },
          {
            title: 'OCR',
            width: 110,
            render: (_, page) => {
              const status = OCR_STATUS[page.ocrStatus] ?? { label: page.ocrStatus, color: 'default' };
              const tag = <Tag color={status.color}>{status.label}</Tag>;
              return page.ocrError ? (
                <span>
                  {tag}
                  <Typography.Text type="danger" style={{ fontSize: 12 }}>
                    {page.ocrError}（已尝试 {page.ocrAttempts} 次）
                  </Typography.Text>
                </span>
              ) : (
                tag
              );
            },
          },
          {
            title: '置信度',
            width: 150,
            render: (_, page) =>
              page.ocrConfidence === null ? (
                '—'
              ) : (
                <Progress
                  percent={Math.round(page.ocrConfidence)}
                  size="small"
                  status={page.flags.includes('low_confidence') ? 'exception' : 'normal'}
                  aria-label="识别置信度"
                />
              ),
          },
          {
            title: '字数',
            dataIndex: 'ocrCharacters',
            width: 70,
            render: (count: number | null) => count ?? '—',
          },
        ]}
      />
    </div>
  );
}
