import { Card, Col, Row } from 'antd';
import { useMemo } from 'react';
import { CARRIER_NAMES } from '../../app/labels';
import { Chart } from '../../components/Chart';
import type { ArchiveOverview } from './overview';

const BLUE = '#1f5fbf';

/** What a manager looks at: where the archives are by business line, how they grew, on what carrier. */
export function ArchiveCharts({ archive }: { archive: ArchiveOverview }) {
  const byCategory = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: archive.byCategory.map((row) => row.name) },
      series: [
        {
          type: 'bar',
          name: '件数',
          data: archive.byCategory.map((row) => row.count),
          itemStyle: { color: BLUE },
        },
      ],
    }),
    [archive.byCategory],
  );
  const byYear = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: archive.byYear.map((row) => String(row.year)) },
      yAxis: { type: 'value' },
      series: [
        {
          type: 'bar',
          name: '件数',
          data: archive.byYear.map((row) => row.count),
          itemStyle: { color: BLUE },
          label: { show: archive.byYear.length <= 12, position: 'top' },
        },
      ],
    }),
    [archive.byYear],
  );
  const byCarrier = useMemo(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}：{c} 件（{d}%）' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['45%', '70%'],
          data: [
            { name: CARRIER_NAMES.paper, value: archive.byCarrier.paper },
            { name: CARRIER_NAMES.electronic, value: archive.byCarrier.electronic },
            { name: CARRIER_NAMES.hybrid, value: archive.byCarrier.hybrid },
          ],
        },
      ],
    }),
    [archive.byCarrier],
  );
  const categoryHeight = Math.max(240, archive.byCategory.length * 28 + 40);
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card title="按类别">
          <Chart option={byCategory} height={categoryHeight} label="按类别统计的档案件数" />
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title="按年度">
          <Chart option={byYear} height={categoryHeight} label="按年度统计的档案件数" />
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title="载体构成">
          <Chart option={byCarrier} height={280} label="纸质、电子与纸电双套档案的构成" />
        </Card>
      </Col>
    </Row>
  );
}
