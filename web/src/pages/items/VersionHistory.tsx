import {
  Card,
  Col,
  Empty,
  Form,
  Row,
  Select,
  Skeleton,
  Switch,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type Category, codeParam, dateTime, FIELD_LABELS, fieldText, type ItemVersion } from './itemFields';

// 版本历史: who changed the item, when and why, and any two versions side by side, field by field,
// the changed ones marked (old value struck through in red, new in green).

const COMPARED = [
  'title',
  'docNumber',
  'responsible',
  'date',
  'retention',
  'retentionExpiresOn',
  'securityLevel',
  'sensitivity',
  'name',
  'idNumber',
  'insuredNumber',
  'businessType',
  'handledAt',
  'handler',
  'agency',
  'poolingRegion',
  'amount',
  'carrier',
  'paperLocation',
  'extra',
];

interface CompareRow {
  field: string;
  label: string;
  older: string;
  newer: string;
  changed: boolean;
}

function VersionCompare({
  versions,
  categories,
}: {
  versions: ItemVersion[];
  categories: Map<string, Category>;
}) {
  const numbers = versions.map((version) => version.version);
  const [older, setOlder] = useState(numbers.at(-2) ?? numbers[0]);
  const [newer, setNewer] = useState(numbers.at(-1));
  const [onlyChanged, setOnlyChanged] = useState(false);
  const a = versions.find((version) => version.version === older);
  const b = versions.find((version) => version.version === newer);
  const rows = useMemo<CompareRow[]>(() => {
    if (!a || !b) return [];
    return COMPARED.map((field) => {
      const before = fieldText(a.item, field, categories);
      const after = fieldText(b.item, field, categories);
      return {
        field,
        label: FIELD_LABELS[field] ?? field,
        older: before,
        newer: after,
        changed: before !== after,
      };
    });
  }, [a, b, categories]);
  const shown = onlyChanged ? rows.filter((row) => row.changed) : rows;
  const changedCount = rows.filter((row) => row.changed).length;
  const choices = numbers.map((number) => ({ value: number, label: `第 ${number} 版` }));
  return (
    <Card title="对比" size="small">
      <Form layout="inline" style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item label="旧版本">
          <Select
            aria-label="旧版本"
            value={older}
            options={choices}
            onChange={setOlder}
            style={{ width: 120 }}
          />
        </Form.Item>
        <Form.Item label="新版本">
          <Select
            aria-label="新版本"
            value={newer}
            options={choices}
            onChange={setNewer}
            style={{ width: 120 }}
          />
        </Form.Item>
        <Form.Item label="只看变更字段">
          <Switch checked={onlyChanged} onChange={setOnlyChanged} aria-label="只看变更字段" />
        </Form.Item>
        <Form.Item>
          <Typography.Text type="secondary">
            {older === newer ? '请选择两个不同的版本' : `共 ${changedCount} 个字段不同`}
          </Typography.Text>
        </Form.Item>
      </Form>
      <Table<CompareRow>
        size="small"
        rowKey="field"
        pagination={false}
        dataSource={shown}
        onRow={(row) => ({ style: row.changed ? { background: '#fffbe6' } : undefined })}
        columns={[
          {
            title: '字段',
            dataIndex: 'label',
            width: 140,
            render: (label: string, row) =>
              row.changed ? <Typography.Text strong>{label}</Typography.Text> : label,
          },
          {
            title: `第 ${older} 版`,
            dataIndex: 'older',
            render: (value: string, row) =>
              row.changed ? (
                <del style={{ color: '#cf1322' }} title="原值">
                  {value || '（空）'}
                </del>
              ) : (
                value
              ),
          },
          {
            title: `第 ${newer} 版`,
            dataIndex: 'newer',
            render: (value: string, row) =>
              row.changed ? (
                <ins style={{ color: '#389e0d', textDecoration: 'none', fontWeight: 600 }} title="新值">
                  {value || '（空）'}
                </ins>
              ) : (
                value
              ),
          },
        ]}
      />
    </Card>
  );
}

export function VersionHistory({
  archiveCode,
  version,
  categories,
  disclosure,
}: {
  archiveCode: string;
  /** The item's current version: the history reloads when it changes. */
  version: number;
  categories: Map<string, Category>;
  disclosure: { unmask?: boolean; purpose?: string };
}) {
  const history = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/items/{archiveCode}/versions', {
          params: { ...codeParam(archiveCode), query: disclosure },
        }),
      ),
    [archiveCode, version, disclosure.unmask, disclosure.purpose],
  );
  if (history.loading && !history.data) return <Skeleton active />;
  if (!history.data) return <ErrorNotice error={history.error} retry={history.reload} />;
  const versions = history.data.versions;
  if (versions.length === 0) return <Empty description="没有版本记录" />;
  return (
    <Row gutter={24}>
      <Col xs={24} xl={8}>
        <Card title="版本" size="small">
          <Timeline
            items={[...versions].reverse().map((entry) => ({
              key: entry.version,
              color: entry.version === versions.at(-1)?.version ? 'green' : 'blue',
              content: (
                <div>
                  <Typography.Text strong>第 {entry.version} 版</Typography.Text>
                  {entry.version === versions.at(-1)?.version && (
                    <Tag color="green" style={{ marginLeft: 8 }}>
                      当前
                    </Tag>
                  )}
                  <div>
                    <Typography.Text type="secondary">
                      {dateTime(entry.changedAt)} · {entry.changedBy}
                    </Typography.Text>
                  </div>
                  <div>
                    {entry.version === 1 && !entry.reason ? '归档' : (entry.reason ?? '（未填写原因）')}
                  </div>
                </div>
              ),
            }))}
          />
        </Card>
      </Col>
      <Col xs={24} xl={16}>
        {versions.length < 2 ? (
          <Card title="对比" size="small">
            <Empty description="只有一个版本，修改后可在此对比" />
          </Card>
        ) : (
          // Keyed by the latest version: after an edit the comparison starts again at the newest pair.
          <VersionCompare key={versions.at(-1)?.version} versions={versions} categories={categories} />
        )}
      </Col>
    </Row>
  );
}
