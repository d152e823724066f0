import { Button, Card, Empty, List, Spin, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 谁查看了我的档案: every look at the person's records — when, which agency and role, what was done,
// why and under which approval. Staff names are not shown unless the agency's policy says so.

type Entry = ResponseOf<'/api/v1/insured/views', 'get'>['entries'][number];

export default function InsuredViewsPage() {
  const [more, setMore] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const first = useRequest(async () => {
    const page = await unwrap(api.GET('/api/v1/insured/views', { params: { query: { limit: 20 } } }));
    setMore([]);
    setCursor(page.nextCursor);
    return page;
  }, []);
  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await unwrap(
        api.GET('/api/v1/insured/views', { params: { query: { limit: 20, cursor } } }),
      );
      setMore((rows) => [...rows, ...page.entries]);
      setCursor(page.nextCursor);
    } finally {
      setLoadingMore(false);
    }
  };
  const entries = [...(first.data?.entries ?? []), ...more];
  return (
    <Card size="small" title="谁查看了我的档案">
      <ErrorNotice error={first.error} retry={first.reload} />
      {first.loading ? (
        <Spin />
      ) : (
        <>
          <Typography.Paragraph type="secondary" data-testid="views-total">
            共 {first.data?.total ?? 0}{' '}
            次查看。每一次查阅、复制、调阅文件、查看未脱敏信息和按身份证号检索到您的档案都记录在此。
            {first.data?.pending ? '（最新记录整理中，稍后刷新可见）' : ''}
          </Typography.Paragraph>
          <List
            dataSource={entries}
            locale={{ emptyText: <Empty description="还没有人查看过您的档案" /> }}
            renderItem={(entry) => (
              <List.Item data-testid="insured-view">
                <div style={{ width: '100%' }}>
                  <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
                    <Typography.Text strong>{entry.actionLabel}</Typography.Text>
                    <Typography.Text type="secondary">{beijingText(entry.at, 'minute')}</Typography.Text>
                  </div>
                  <div>
                    {entry.agency} · <Tag>{entry.role}</Tag>
                    {entry.staff ? `（${entry.staff}）` : ''}
                  </div>
                  <Typography.Text type="secondary" style={{ wordBreak: 'break-all' }}>
                    档号 {entry.archiveCode}
                    {entry.purpose ? ` · 用途：${entry.purpose}` : ''}
                    {entry.approval ? ` · 依据：${entry.approval}` : ''}
                  </Typography.Text>
                </div>
              </List.Item>
            )}
          />
          {cursor && (
            <Button block loading={loadingMore} onClick={() => void loadMore()}>
              加载更多
            </Button>
          )}
        </>
      )}
    </Card>
  );
}
