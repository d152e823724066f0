import { Button, Card, List, Segmented, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { asApiError } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CursorPager, useCursorPages } from '../audit/cursor';
import { NOTICES_CHANGED } from './NoticeBell';

// 站内通知: the caller's own notices, newest first — loan reminders and whatever else the system sends
// them. Opening one marks it read and goes where it points; all can be marked read at once.

type Notice = ResponseOf<'/api/v1/notices', 'get'>['notices'][number];
const PAGE = 20;

const changed = () => window.dispatchEvent(new Event(NOTICES_CHANGED));

export default function InboxPage() {
  const navigate = useNavigate();
  const [show, setShow] = useState<'all' | 'unread'>('all');
  const [unread, setUnread] = useState(0);
  const [error, setError] = useState<string>();
  const pages = useCursorPages(
    async (before) => {
      const answer = await unwrap(
        api.GET('/api/v1/notices', { params: { query: { unread: show === 'unread', before, limit: PAGE } } }),
      );
      setUnread(answer.unread);
      return { rows: answer.notices, next: answer.nextBefore };
    },
    [show],
  );

  const open = async (notice: Notice) => {
    try {
      if (!notice.read)
        await unwrap(api.POST('/api/v1/notices/{id}/read', { params: { path: { id: notice.id } } }));
      changed();
      if (notice.link) navigate(notice.link);
      else pages.reload();
    } catch (reason) {
      setError(asApiError(reason).message);
    }
  };

  const readAll = async () => {
    try {
      await unwrap(api.POST('/api/v1/notices/read-all'));
      changed();
      pages.reload();
    } catch (reason) {
      setError(asApiError(reason).message);
    }
  };

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          站内通知
        </Typography.Title>
      }
      extra={
        <Space>
          <Segmented
            value={show}
            onChange={(value) => setShow(value as 'all' | 'unread')}
            options={[
              { value: 'all', label: '全部' },
              { value: 'unread', label: `未读 ${unread}` },
            ]}
          />
          <Button onClick={readAll} disabled={unread === 0}>
            全部标为已读
          </Button>
        </Space>
      }
    >
      {pages.error && <ErrorNotice error={pages.error} />}
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <List
        aria-label="通知列表"
        loading={pages.loading}
        dataSource={pages.data?.rows ?? []}
        locale={{ emptyText: show === 'unread' ? '没有未读的通知' : '还没有通知' }}
        renderItem={(notice) => (
          <List.Item
            key={notice.id}
            actions={[
              <Button key="open" type="link" onClick={() => open(notice)}>
                {notice.link ? '查看' : notice.read ? '已读' : '标为已读'}
              </Button>,
            ]}
          >
            <List.Item.Meta
              title={
                <Space>
                  {!notice.read && <Tag color="red">未读</Tag>}
                  <Tag>{notice.kindLabel}</Tag>
                  <Typography.Text strong={!notice.read}>{notice.title}</Typography.Text>
                </Space>
              }
              description={
                <>
                  <div>{notice.text}</div>
                  <Typography.Text type="secondary">
                    {beijingText(notice.createdAt, 'minute')}
                  </Typography.Text>
                </>
              }
            />
          </List.Item>
        )}
      />
      <CursorPager pages={pages} label="通知翻页" />
    </Card>
  );
}
