import { Alert, Button } from 'antd';
import type { ApiError } from '../api/client';

/** The server's Chinese message for a failed load, with a retry when the caller offers one. */
export function ErrorNotice({ error, retry }: { error: ApiError | undefined; retry?: () => void }) {
  if (!error) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 16 }}
      title={error.status === 403 ? '无权访问' : '加载失败'}
      description={error.message}
      action={
        retry ? (
          <Button size="small" onClick={retry}>
            重试
          </Button>
        ) : undefined
      }
    />
  );
}
