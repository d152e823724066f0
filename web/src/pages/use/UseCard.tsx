import { Card, Col, Statistic, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { loadSummary } from './use-api';

// The 利用 card of the 首页 (archivists and managers): this month's and this year's uses in scope.

export function UseCard() {
  const summary = useRequest(loadSummary, []);
  const data = summary.data;
  return (
    <Col xs={12} lg={6}>
      <Card>
        <Statistic title="本月利用" value={data?.monthUses ?? '—'} suffix="次" loading={summary.loading} />
        {data && (
          <Typography.Text type="secondary">
            本年 {data.yearUses} 次：
            {data.byKind
              .filter((kind) => kind.uses > 0)
              .map((kind) => `${kind.kindName} ${kind.uses}`)
              .join('，') || '暂无'}
          </Typography.Text>
        )}
        <div>
          <Link to="/use">利用统计</Link>
        </div>
      </Card>
    </Col>
  );
}
