import { Button, Card, Descriptions, Progress, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { usePolling } from './scanLabels';

// The OCR queue's progress (all pages the user's scope reaches, or one batch), refreshed while
// pages are waiting or being read.

export function OcrProgressCard({ batchId, version = 0 }: { batchId?: number; version?: number }) {
  const progress = useRequest(
    () => unwrap(api.GET('/api/v1/ocr/progress', { params: { query: batchId ? { batch: batchId } : {} } })),
    [batchId, version],
  );
  const data = progress.data;
  const working = Boolean(data && data.byStatus.queued + data.byStatus.running > 0);
  usePolling(progress.reload, working, 5000);

  return (
    <Card
      size="small"
      title={batchId ? `批次 ${batchId} 的 OCR 进度` : 'OCR 识别进度'}
      extra={
        <Button size="small" onClick={progress.reload}>
          刷新
        </Button>
      }
      style={{ marginBottom: 16 }}
    >
      <ErrorNotice error={progress.error} retry={progress.reload} />
      {data && (
        <>
          <Progress
            percent={Math.round(data.finished * 1000) / 10}
            status={working ? 'active' : data.byStatus.failed > 0 ? 'exception' : 'success'}
            aria-label="OCR 完成比例"
          />
          <Descriptions size="small" column={{ xs: 1, md: 3, xl: 4 }} style={{ marginTop: 8 }}>
            <Descriptions.Item label="总页数">{data.pages}</Descriptions.Item>
            <Descriptions.Item label="排队">{data.byStatus.queued}</Descriptions.Item>
            <Descriptions.Item label="识别中">{data.byStatus.running}</Descriptions.Item>
            <Descriptions.Item label="已完成">{data.byStatus.done}</Descriptions.Item>
            <Descriptions.Item label="失败">{data.byStatus.failed}</Descriptions.Item>
            <Descriptions.Item label="置信度低">{data.lowConfidence}</Descriptions.Item>
            <Descriptions.Item label="未识别出文字">{data.noText}</Descriptions.Item>
            <Descriptions.Item label="平均置信度">
              {data.meanConfidence === null ? '—' : data.meanConfidence.toFixed(1)}
            </Descriptions.Item>
            <Descriptions.Item label="每页用时">
              {data.meanSeconds === null ? '—' : `${data.meanSeconds.toFixed(1)} 秒`}
            </Descriptions.Item>
            <Descriptions.Item label="近10分钟速度">
              {data.pagesPerMinute.toFixed(1)} 页/分钟
            </Descriptions.Item>
            <Descriptions.Item label="预计剩余">
              {data.minutesLeft === null ? '—' : `${data.minutesLeft} 分钟`}
            </Descriptions.Item>
          </Descriptions>
          {working && <Typography.Text type="secondary">识别进行中，每 5 秒刷新</Typography.Text>}
        </>
      )}
    </Card>
  );
}
