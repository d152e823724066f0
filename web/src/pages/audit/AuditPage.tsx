import { Alert, App, Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api, download, unwrap } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type AuditFilter, AuditFilters, toQueryString } from './AuditFilters';
import { AuditTable } from './AuditTable';
import { useCursorPages } from './cursor';

// 审计: the 安全审计员's view of who read or changed what, when, from where and why; unusual
// reading first, then the searchable trail and its CSV export (the export is logged too).

const PAGE = 50;

function ReadingAlerts() {
  const alerts = useRequest(() => unwrap(api.GET('/api/v1/audit/alerts')), []);
  if (alerts.error) return <ErrorNotice error={alerts.error} retry={alerts.reload} />;
  const list = alerts.data?.alerts ?? [];
  if (list.length === 0)
    return alerts.loading ? null : (
      <Typography.Paragraph type="secondary">近 7 天没有异常查阅提醒。</Typography.Paragraph>
    );
  return (
    <Space orientation="vertical" style={{ width: '100%', marginBottom: 16 }}>
      {list.map((alert) => (
        <Alert
          key={`${alert.actor}-${alert.hour}`}
          type="warning"
          showIcon
          title="异常查阅提醒"
          description={alert.message}
        />
      ))}
    </Space>
  );
}

export default function AuditPage() {
  const { message } = App.useApp();
  const [filter, setFilter] = useState<AuditFilter>({});
  const [exporting, setExporting] = useState(false);
  const pages = useCursorPages(
    async (before) => {
      const answer = await unwrap(
        api.GET('/api/v1/audit/events', { params: { query: { ...filter, before, limit: PAGE } } }),
      );
      return { rows: answer.entries, next: answer.nextBefore };
    },
    [filter],
  );

  const exportCsv = async (current: AuditFilter) => {
    setExporting(true);
    try {
      const query = toQueryString(current);
      await download(
        `/api/v1/audit/export${query ? `?${query}` : ''}`,
        `审计记录-${dayjs().format('YYYY-MM-DD')}.csv`,
      );
      message.success('审计记录已导出（导出操作本身已记入日志）');
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <Typography.Title level={3}>审计</Typography.Title>
      <ReadingAlerts />
      <AuditFilters
        onSearch={setFilter}
        onExport={(current) => {
          setFilter(current);
          void exportCsv(current);
        }}
        exporting={exporting}
      />
      <ErrorNotice error={pages.error} retry={pages.reload} />
      <AuditTable pages={pages} />
    </>
  );
}
