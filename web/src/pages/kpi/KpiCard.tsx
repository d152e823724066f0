import { Card, Col, Statistic, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { loadKpi } from './kpi-api';

// The 考核指标 card of the 首页 (kpi.read): the current year's indicators over the caller's units.

export function KpiCard() {
  const kpi = useRequest(() => loadKpi(), []);
  const total = kpi.data?.total;
  return (
    <Col xs={24} lg={12}>
      <Card data-testid="kpi-card">
        <Statistic
          title={`${kpi.data?.year ?? ''}年度档案完整率`}
          value={total?.completeness.percent ?? '—'}
          loading={kpi.loading}
        />
        {total && (
          <Typography.Text type="secondary">
            电子归档率 {total.electronic.percent}，数字化率 {total.digitised.percent}，归档及时率{' '}
            {total.timely.percent}，利用 {total.uses.uses} 次，安全事故率{' '}
            {total.incidents.per10k === null ? '—' : `${total.incidents.per10k.toFixed(2)}/万次查阅`}（
            {kpi.data?.units.length ?? 0} 个立档单位）
          </Typography.Text>
        )}
        <div>
          <Link to="/fund/kpi">考核指标</Link>
        </div>
      </Card>
    </Col>
  );
}
