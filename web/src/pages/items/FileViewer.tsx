import { Alert, Button, Modal } from 'antd';
import { useEffect, useState } from 'react';
import { saveBlob } from './csv';

// A watermarked copy shown in the browser: a PDF in a frame, an image as an image. Only those two
// kinds are shown inline (anything else, such as HTML or XML, would run as a page of this site from
// a blob: address); the object URL is released when the viewer closes.

export interface ViewedFile {
  fileName: string;
  blob: Blob;
}

export function FileViewer({ file, onClose }: { file: ViewedFile | undefined; onClose: () => void }) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!file) return;
    const created = URL.createObjectURL(file.blob);
    setUrl(created);
    return () => {
      URL.revokeObjectURL(created);
      setUrl(undefined);
    };
  }, [file]);
  const type = file?.blob.type.split(';')[0]?.trim().toLowerCase() ?? '';
  const isPdf = type === 'application/pdf';
  const isImage = type.startsWith('image/');
  return (
    <Modal
      title={file ? `查看：${file.fileName}（已加水印）` : ''}
      open={file !== undefined}
      onCancel={onClose}
      width="90vw"
      style={{ top: 24 }}
      footer={[
        <Button key="save" onClick={() => file && saveBlob(file.blob, file.fileName)}>
          保存此副本
        </Button>,
      ]}
      destroyOnHidden
    >
      {url && isPdf && (
        <iframe
          src={url}
          title={`${file?.fileName ?? ''} 的水印副本`}
          style={{ width: '100%', height: '78vh', border: '1px solid #d9d9d9' }}
        />
      )}
      {url && isImage && (
        <div style={{ textAlign: 'center', maxHeight: '78vh', overflow: 'auto' }}>
          <img src={url} alt={`${file?.fileName ?? ''} 的水印副本`} style={{ maxWidth: '100%' }} />
        </div>
      )}
      {url && !isPdf && !isImage && (
        <Alert
          type="info"
          showIcon
          title="该格式不能在浏览器中预览"
          description="请用“保存此副本”下载后用相应软件打开（本次调阅已记入日志）。"
        />
      )}
    </Modal>
  );
}
