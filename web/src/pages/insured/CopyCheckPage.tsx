import { Alert, Button, Card, Descriptions, Form, Input, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { asApiError } from '../../app/hooks';

// 复制件核验 (public, no sign-in): anyone holding a certified copy enters its code and sees only the
// 档号, the digest of the copy as issued and whether it is genuine; with the file chosen, its digest
// is computed here in the browser (the file is not uploaded) and compared.

type Check = ResponseOf<'/api/v1/copy-checks/{code}', 'get'>;

/** The browser hashes only in a secure context (HTTPS or the server's own machine). */
const FILE_CHECK_NEEDS_HTTPS =
  '核验所持文件需在本机计算摘要，浏览器仅在通过 HTTPS 访问本页时提供此功能；请改用 https:// 地址访问，或不选文件、仅凭核验码核验';

async function sha256Hex(file: File): Promise<string> {
  // Plain http://10.x (a county server): crypto.subtle is absent and would fail with a bare TypeError.
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error(FILE_CHECK_NEEDS_HTTPS);
  const digest = await subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export default function CopyCheckPage() {
  const [params] = useSearchParams();
  const [result, setResult] = useState<Check>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [file, setFile] = useState<File>();
  const check = async ({ code }: { code: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const digest = file ? await sha256Hex(file) : undefined;
      setResult(
        await unwrap(
          api.GET('/api/v1/copy-checks/{code}', {
            params: { path: { code: code.trim() }, query: { digest } },
          }),
        ),
      );
    } catch (reason) {
      setResult(undefined);
      setError(asApiError(reason).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ maxWidth: 480, margin: '0 auto', padding: 12, boxSizing: 'border-box' }}>
      <Typography.Title level={4}>复制件核验</Typography.Title>
      <Typography.Paragraph type="secondary">
        输入复制件上的核验码，查验该复制件是否由医保经办机构档案系统出具。无需登录。
      </Typography.Paragraph>
      <Card size="small">
        <Form layout="vertical" onFinish={check} initialValues={{ code: params.get('code') ?? '' }}>
          <Form.Item name="code" label="核验码" rules={[{ required: true, message: '请输入核验码' }]}>
            <Input placeholder="HY-XXXXX-XXXXX-XXXXX-XXXXX" maxLength={60} autoComplete="off" />
          </Form.Item>
          <Form.Item label="所持文件（可选，仅在本机计算摘要，不上传）">
            <Upload
              beforeUpload={(chosen) => {
                setFile(chosen);
                return false;
              }}
              onRemove={() => setFile(undefined)}
              maxCount={1}
            >
              <Button>选择文件</Button>
            </Upload>
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            核验
          </Button>
        </Form>
      </Card>
      {error && <Alert type="error" showIcon style={{ marginTop: 12 }} title={error} />}
      {result && (
        <Card size="small" style={{ marginTop: 12 }} data-testid="copy-check-result">
          <Alert
            type={result.genuine ? 'success' : 'error'}
            showIcon
            title={result.genuine ? '真实有效' : '未通过核验'}
            description={result.message}
          />
          {result.archiveCode && (
            <Descriptions column={1} size="small" style={{ marginTop: 12 }}>
              <Descriptions.Item label="档号">{result.archiveCode}</Descriptions.Item>
              <Descriptions.Item label="摘要（SHA-256）">
                <span style={{ wordBreak: 'break-all' }}>{result.digest}</span>
              </Descriptions.Item>
            </Descriptions>
          )}
        </Card>
      )}
    </div>
  );
}
