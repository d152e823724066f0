import { EnvironmentOutlined } from '@ant-design/icons';
import type { DescriptionsProps } from 'antd';
import { Card, Descriptions, Space, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { PaperLoanTag } from '../lending/PaperLoanTag';
import {
  type Category,
  extraEntries,
  FIELD_LABELS,
  fieldText,
  type Item,
  PAPER_LOCATION_PARTS,
} from './itemFields';

// 著录信息: every field of the item with its Chinese name, the paper location set apart where
// the archivist looks for it first, and the retention with the day it runs out.

/** Where the paper original is: 库房 › 柜 › 层 › 盒, large, or why there is none. */
export function PaperLocationCard({ item }: { item: Item }) {
  const location = item.paperLocation;
  return (
    <Card size="small" style={{ marginBottom: 16, borderColor: '#1f5fbf' }}>
      <Space align="start" size="large" wrap>
        <Typography.Text strong style={{ fontSize: 16 }}>
          <EnvironmentOutlined /> 纸质存放位置
        </Typography.Text>
        {item.carrier !== 'electronic' && !item.withheld && <PaperLoanTag archiveCode={item.archiveCode} />}
        {location ? (
          <Space size="large" wrap aria-label="纸质存放位置">
            {PAPER_LOCATION_PARTS.map(([key, unit]) => (
              <span key={key}>
                <Typography.Text type="secondary">{unit} </Typography.Text>
                <Typography.Text strong style={{ fontSize: 20 }}>
                  {location[key]}
                </Typography.Text>
              </span>
            ))}
          </Space>
        ) : (
          <Typography.Text type="secondary">
            {item.withheld
              ? '敏感档案内容已隐去'
              : item.carrier === 'electronic'
                ? '电子档案，无纸质原件'
                : '未登记'}
          </Typography.Text>
        )}
      </Space>
    </Card>
  );
}

function retentionLabel(item: Item) {
  const expires = item.retentionExpiresOn;
  if (!expires) return <Tag color="blue">永久保存</Tag>;
  const due = dayjs(expires).isBefore(dayjs());
  return (
    <Space size={4}>
      {expires}
      {due && <Tag color="orange">已到期，待鉴定</Tag>}
    </Space>
  );
}

export function ItemMetadata({ item, categories }: { item: Item; categories: Map<string, Category> }) {
  const text = (field: string) =>
    fieldText(item, field, categories) || <Typography.Text type="secondary">—</Typography.Text>;
  const entry = (
    field: string,
    span: number | 'filled' = 1,
  ): NonNullable<DescriptionsProps['items']>[number] => ({
    key: field,
    label: FIELD_LABELS[field],
    children: text(field),
    span,
  });
  const filing: DescriptionsProps['items'] = [
    {
      key: 'archiveCode',
      label: '档号',
      children: (
        <Typography.Text copyable strong>
          {item.archiveCode}
        </Typography.Text>
      ),
      span: 'filled',
    },
    entry('fonds'),
    entry('category'),
    entry('year'),
    entry('org'),
    entry('itemNumber'),
    entry('carrier'),
    entry('retention'),
    { key: 'retentionExpiresOn', label: '到期日', children: retentionLabel(item) },
    entry('securityLevel'),
    entry('sensitivity'),
  ];
  const content: DescriptionsProps['items'] = [
    entry('title', 'filled'),
    entry('docNumber'),
    entry('responsible'),
    entry('date'),
    entry('name'),
    entry('idNumber'),
    entry('insuredNumber'),
    entry('businessType'),
    entry('handledAt'),
    entry('handler'),
    entry('agency'),
    entry('poolingRegion'),
    entry('amount'),
  ];
  const extras = extraEntries(item, categories);
  const record: DescriptionsProps['items'] = [
    entry('version'),
    entry('createdBy'),
    entry('createdAt'),
    entry('updatedBy'),
    entry('updatedAt'),
    entry('changeReason'),
  ];
  return (
    <div>
      <PaperLocationCard item={item} />
      <Descriptions
        title="档号与分类"
        bordered
        size="small"
        column={{ xs: 1, md: 2, xl: 3 }}
        items={filing}
      />
      <Descriptions
        title="内容"
        bordered
        size="small"
        column={{ xs: 1, md: 2, xl: 3 }}
        items={content}
        style={{ marginTop: 24 }}
      />
      {extras.length > 0 && (
        <Descriptions
          title="类别专属字段"
          bordered
          size="small"
          column={{ xs: 1, md: 2, xl: 3 }}
          items={extras.map(([label, value]) => ({ key: label, label, children: value }))}
          style={{ marginTop: 24 }}
        />
      )}
      {item.received && (
        <Descriptions
          title="接收来源"
          bordered
          size="small"
          column={{ xs: 1, md: 2, xl: 3 }}
          data-testid="item-received"
          items={[
            {
              key: 'originalCode',
              label: '原档号',
              children: <Typography.Text copyable>{item.received.originalCode}</Typography.Text>,
            },
            { key: 'source', label: '来源单位', children: item.received.source },
            { key: 'batch', label: '移交批次', children: item.received.batch },
          ]}
          style={{ marginTop: 24 }}
        />
      )}
      <Descriptions
        title="归档与修改"
        bordered
        size="small"
        column={{ xs: 1, md: 2, xl: 3 }}
        items={record}
        style={{ marginTop: 24 }}
      />
    </div>
  );
}
