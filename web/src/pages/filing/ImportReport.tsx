import { Alert, Button, Card, Col, Row, Space, Statistic, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { ResponseOf } from '../../api/types';
import { itemPath, useCategories } from './catalog';
import { IMPORT_FIELDS } from './MappingModal';

// The import's answer row by row: counts, then every line with its status and the Chinese issues,
// paged in the browser (the API answers all lines at once), optionally only the problem rows.

export type ImportResult = ResponseOf<'/api/v1/imports', 'post'>;
type Line = ImportResult['lines'][number];

const STATUS: Record<string, { label: string; color: string }> = {
  filed: { label: '已归档', color: 'success' },
  rejected: { label: '未通过', color: 'error' },
  skipped: { label: '已跳过（此前已导入）', color: 'default' },
  withheld: { label: '未归档（整批撤回）', color: 'warning' },
};

export function ImportReport({
  result,
  onDownload,
  downloading,
}: {
  result: ImportResult;
  onDownload: () => void;
  downloading: boolean;
}) {
  const [problemsOnly, setProblemsOnly] = useState(false);
  const categories = useCategories();
  const extraLabels = new Map(
    (categories.data ?? []).flatMap((category) =>
      category.extraFields.map((field) => [field.key, field.label] as const),
    ),
  );
  const fieldName = (field: string) =>
    IMPORT_FIELDS[field] ??
    (field.startsWith('extra.')
      ? (extraLabels.get(field.slice('extra.'.length)) ?? field.slice('extra.'.length))
      : field);
  const withheld = result.lines.filter((line) => line.status === 'withheld').length;
  const lines = problemsOnly
    ? result.lines.filter((line) => line.status !== 'filed' && line.status !== 'skipped')
    : result.lines;

  return (
    <Card
      title={`导入结果：${result.fileName}`}
      size="small"
      extra={
        <Button onClick={onDownload} loading={downloading}>
          下载 XLSX 报告
        </Button>
      }
    >
      <Row gutter={16} style={{ marginBottom: 12 }}>
        <Col xs={12} md={4}>
          <Statistic title="数据行数" value={result.total} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="已归档" value={result.filed} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="未通过" value={result.rejected} />
        </Col>
        <Col xs={12} md={4}>
          <Statistic title="已跳过" value={result.skipped} />
        </Col>
        {withheld > 0 && (
          <Col xs={12} md={4}>
            <Statistic title="整批撤回" value={withheld} />
          </Col>
        )}
        <Col xs={24} md={4}>
          <Typography.Text type="secondary">
            {result.format.toUpperCase()}（{result.source}），
            {result.allOrNothing ? '全部通过才归档' : '逐批归档'}
          </Typography.Text>
        </Col>
      </Row>
      {result.resumed && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title="此文件此前以相同映射导入过：已归档的行已跳过，未重复归档"
        />
      )}
      {result.allOrNothing && result.rejected > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title="有行未通过，按“全部通过才归档”一行也未归档"
        />
      )}
      <Space style={{ marginBottom: 8 }}>
        <Switch id="problems-only" checked={problemsOnly} onChange={setProblemsOnly} />
        <label htmlFor="problems-only">仅看有问题的行</label>
      </Space>
      <Table<Line>
        rowKey="line"
        size="small"
        dataSource={lines}
        pagination={{
          pageSize: 50,
          showSizeChanger: false,
          hideOnSinglePage: true,
          showTotal: (total) => `共 ${total} 行`,
        }}
        locale={{ emptyText: problemsOnly ? '没有问题行' : '文件中没有数据行' }}
        columns={[
          { title: '行号', dataIndex: 'line', width: 80 },
          {
            title: '结果',
            dataIndex: 'status',
            width: 170,
            render: (status: string) => (
              <Tag color={STATUS[status]?.color}>{STATUS[status]?.label ?? status}</Tag>
            ),
          },
          {
            title: '档号',
            dataIndex: 'archiveCode',
            render: (code?: string) => (code ? <Link to={itemPath(code)}>{code}</Link> : '—'),
          },
          {
            title: '问题',
            dataIndex: 'issues',
            render: (issues: Line['issues']) =>
              issues.length === 0 ? (
                '—'
              ) : (
                <ul style={{ margin: 0, paddingLeft: 18 }}>
                  {issues.map((issue) => (
                    <li key={`${issue.field}:${issue.message}`}>
                      {issue.field && (
                        <Typography.Text type="secondary">[{fieldName(issue.field)}] </Typography.Text>
                      )}
                      {issue.message}
                    </li>
                  ))}
                </ul>
              ),
          },
        ]}
      />
    </Card>
  );
}
