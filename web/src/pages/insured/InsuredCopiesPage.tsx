import { Card, Empty, List, Spin, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 复制件: the person's certified copies, their state, the code printed on each and the download.

export default function InsuredCopiesPage() {
  const copies = useRequest(() => unwrap(api.GET('/api/v1/insured/copies')), []);
  return (
    <Card size="small" title="我的复制件">
      <ErrorNotice error={copies.error} retry={copies.reload} />
      {copies.loading ? (
        <Spin />
      ) : (
        <List
          dataSource={copies.data?.copies ?? []}
          locale={{ emptyText: <Empty description="还没有申请过复制件，可在“我的档案”中申请" /> }}
          renderItem={(copy) => (
            <List.Item data-testid="insured-copy">
              <div style={{ width: '100%', wordBreak: 'break-all' }}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
                  <Typography.Text strong>{copy.copyNo}</Typography.Text>
                  <Tag color={copy.status === 'issued' ? 'green' : 'default'}>
                    {copy.status === 'issued' ? '已出具' : '已作废'}
                  </Tag>
                </div>
                <div>
                  档号 {copy.archiveCode} · 用途：{copy.purpose}
                </div>
                <div>
                  核验码 <Typography.Text copyable>{copy.code}</Typography.Text>
                </div>
                <Typography.Text type="secondary">
                  出具于 {beijingText(copy.issuedAt, 'minute')}
                </Typography.Text>
                {copy.originalDestroyed && (
                  <div data-testid="insured-copy-destroyed">
                    <Tag>原件已销毁</Tag>
                    原件档案已
                    {copy.originalDestroyed.at ? `于 ${beijingText(copy.originalDestroyed.at, 'day')} ` : ''}
                    {copy.originalDestroyed.register
                      ? `按销毁清册 ${copy.originalDestroyed.register} `
                      : '依法'}
                    销毁，复制件内容一并销毁；核验码仍可核验
                  </div>
                )}
                <div style={{ marginTop: 4, display: 'flex', gap: 16 }}>
                  {!copy.originalDestroyed && (
                    <a href={`/api/v1/insured/copies/${encodeURIComponent(copy.copyNo)}/content`}>下载</a>
                  )}
                  <Link to={`/copy-check?code=${encodeURIComponent(copy.code)}`}>核验</Link>
                </div>
              </div>
            </List.Item>
          )}
        />
      )}
    </Card>
  );
}
