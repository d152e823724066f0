import { useMemo } from 'react';
import { Chart } from '../../components/Chart';
import type { Forecast } from './forecast-api';

// History, forecast and its 80% and 95% bands on one time axis. A band is two stacked series: the
// lower bound drawn invisibly, then the band's width filled on top of it.

const round = (value: number) => Math.round(value * 100) / 100;

export function ForecastChart({ forecast }: { forecast: Forecast }) {
  const option = useMemo(() => {
    const months = [...forecast.history.map((p) => p.period), ...forecast.forecast.map((p) => p.period)];
    const before = forecast.history.map(() => null);
    const last = forecast.history[forecast.history.length - 1];
    // The forecast line starts at the last actual month, so the two lines join.
    const predicted = [
      ...forecast.history.slice(0, -1).map(() => null),
      last ? round(last.value) : null,
      ...forecast.forecast.map((p) => round(p.value)),
    ];
    const band = (name: string, lower: number[], upper: number[], colour: string) => [
      {
        name,
        type: 'line',
        stack: name,
        data: [...before, ...lower.map(round)],
        lineStyle: { opacity: 0 },
        symbol: 'none',
        tooltip: { show: false },
      },
      {
        name,
        type: 'line',
        stack: name,
        data: [...before, ...upper.map((value, i) => round(value - (lower[i] as number)))],
        lineStyle: { opacity: 0 },
        areaStyle: { color: colour },
        symbol: 'none',
      },
    ];
    return {
      tooltip: {
        trigger: 'axis',
        valueFormatter: (value: number | null) => (value === null ? '—' : value.toLocaleString('zh-CN')),
      },
      legend: { bottom: 0, data: ['历史', '预测', '95% 区间', '80% 区间'] },
      grid: { left: 8, right: 24, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: 'category', data: months, boundaryGap: false },
      yAxis: { type: 'value', scale: true },
      series: [
        ...band(
          '95% 区间',
          forecast.forecast.map((p) => p.lower95),
          forecast.forecast.map((p) => p.upper95),
          'rgba(31, 95, 191, 0.12)',
        ),
        ...band(
          '80% 区间',
          forecast.forecast.map((p) => p.lower80),
          forecast.forecast.map((p) => p.upper80),
          'rgba(31, 95, 191, 0.22)',
        ),
        {
          name: '历史',
          type: 'line',
          data: [...forecast.history.map((p) => round(p.value)), ...forecast.forecast.map(() => null)],
          itemStyle: { color: '#343a40' },
          symbolSize: 4,
        },
        {
          name: '预测',
          type: 'line',
          data: predicted,
          itemStyle: { color: '#1f5fbf' },
          lineStyle: { type: 'dashed', width: 2 },
          symbolSize: 4,
        },
      ],
    };
  }, [forecast]);
  return <Chart option={option} height={340} label={`${forecast.seriesName}的历史、预测与预测区间`} />;
}
