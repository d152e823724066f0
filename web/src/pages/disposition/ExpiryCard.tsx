import { Card, Col, Statistic, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { getJson } from './dispositionApi';

// The 到期 card of the 首页 (whoever may appraise): items in scope falling due in the next 12 months,
// and those due already, from the expiry list the server refreshes on a schedule.

interface DueCounts {
  next12Months: number;
  alreadyDue: number;
}

const loadDueCounts = () => getJson<DueCounts>('/api/v1/appraisal/due-count');

export function ExpiryCard() {
  const counts = useRequest(loadDueCounts, []);
  const data = counts.data;
  return (
    <Col xs={12} lg={6}>
      <Card>
        <Statistic
          title="未来12个月到期"
          value={data?.next12Months ?? '—'}
          suffix="件"
          loading={counts.loading}
        />
        {data && <Typography.Text type="secondary">已到期 {data.alreadyDue} 件</Typography.Text>}
        <div>
          <Link to="/disposition/expiry">到期档案</Link>
        </div>
      </Card>
    </Col>
  );
}
