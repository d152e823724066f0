import { Alert, Modal, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, fetchBlob, unwrap } from '../../api/client';
import { asApiError } from '../../app/hooks';

// A sampled page for the QC reviewer: the scanned file that holds it, as the watermarked copy every
// read gets (TIFF arrives as PDF), read with the purpose 数字化质检 so the log says why.

export function PageViewer({
  archiveCode,
  page,
  onClose,
}: {
  archiveCode: string;
  page: number;
  onClose: () => void;
}) {
  const [view, setView] = useState<{ url: string; type: string; pageInFile: number; pages: number }>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let url: string | undefined;
    let cancelled = false;
    (async () => {
      const { pages } = await unwrap(
        api.GET('/api/v1/items/{archiveCode}/scans', { params: { path: { archiveCode } } }),
      );
      const found = pages.find((row) => row.page === page);
      if (!found) throw new Error(`没有找到第 ${page} 页`);
      const blob = await fetchBlob(
        `/api/v1/items/${encodeURIComponent(archiveCode)}/files/${found.fileNumber}?inline=true&purpose=${encodeURIComponent('数字化质检')}`,
      );
      if (cancelled) return;
      url = URL.createObjectURL(blob);
      const pagesInFile = pages.filter((row) => row.fileNumber === found.fileNumber).length;
      setView({ url, type: blob.type, pageInFile: found.pageInFile, pages: pagesInFile });
    })().catch((reason: unknown) => {
      if (!cancelled) setError(asApiError(reason).message);
    });
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [archiveCode, page]);

  return (
    <Modal
      open
      title={`${archiveCode} 第 ${page} 页`}
      footer={null}
      width={900}
      onCancel={onClose}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} />}
      {!view && !error && <Spin style={{ display: 'block', margin: '48px auto' }} />}
      {view && (
        <>
          {view.pages > 1 && (
            <Typography.Paragraph type="secondary">
              本页为该扫描文件的第 {view.pageInFile} 页（共 {view.pages} 页）
            </Typography.Paragraph>
          )}
          {view.type.startsWith('image/') ? (
            <img src={view.url} alt={`${archiveCode} 第 ${page} 页`} style={{ maxWidth: '100%' }} />
          ) : (
            <iframe
              src={`${view.url}#page=${view.pageInFile}`}
              title={`${archiveCode} 第 ${page} 页`}
              style={{ width: '100%', height: 640, border: 0 }}
            />
          )}
        </>
      )}
    </Modal>
  );
}
