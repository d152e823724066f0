import { Empty, Space, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import {
  CARRIER_NAMES,
  type Category,
  itemPath,
  RETENTION_NAMES,
  SENSITIVITY_LEVELS,
} from '../filing/catalog';
import { Highlighted } from './Highlighted';
import type { SearchHit } from './searchState';

// One search hit: the 题名 with its matched words marked, the 档号 linking to the item, the main
// catalogue facts, and the other snippets (姓名, 就诊医疗机构, 第3页 …) the server cut for it.

function Hit({ hit, categories }: { hit: SearchHit; categories: readonly Category[] }) {
  const { item } = hit;
  // The server labels a category's own field by its key (hospital); the scheme has its Chinese name.
  const labelOf = (field: string, label: string) =>
    field.startsWith('extra.')
      ? (categories
          .find((category) => category.code === item.category)
          ?.extraFields.find((extra) => `extra.${extra.key}` === field)?.label ?? label)
      : label;
  const title = hit.highlights.find((highlight) => highlight.field === 'title');
  const others = hit.highlights.filter((highlight) => highlight !== title);
  return (
    <article
      className="search-hit"
      data-testid="search-hit"
      style={{ padding: '12px 0', borderBottom: '1px solid #f0f0f0' }}
    >
      <Typography.Title level={5} style={{ margin: 0 }}>
        {title ? <Highlighted text={title.text} marks={title.marks} /> : item.title}
      </Typography.Title>
      <Space wrap size={[12, 4]} style={{ marginTop: 4 }}>
        <Link to={itemPath(item.archiveCode)} aria-label={`档号 ${item.archiveCode}`}>
          {item.archiveCode}
        </Link>
        <Typography.Text type="secondary">{item.categoryName}</Typography.Text>
        <Typography.Text type="secondary">{item.date}</Typography.Text>
        <Typography.Text type="secondary">
          {RETENTION_NAMES[item.retention] ?? item.retention}
        </Typography.Text>
        {item.name && <Typography.Text type="secondary">姓名 {item.name}</Typography.Text>}
        {item.amount && <Typography.Text type="secondary">金额 {item.amount} 元</Typography.Text>}
        <Tag>{CARRIER_NAMES[item.carrier] ?? item.carrier}</Tag>
        {item.sensitivity !== 'normal' && (
          <Tag color="orange">{SENSITIVITY_LEVELS[item.sensitivity] ?? item.sensitivity}</Tag>
        )}
        {item.withheld && <Tag color="red">未获查阅授权，内容已隐去</Tag>}
      </Space>
      {others.map((highlight) => (
        <div key={`${highlight.field}:${highlight.label}:${highlight.text}`} style={{ marginTop: 4 }}>
          <Typography.Text type="secondary">{labelOf(highlight.field, highlight.label)}：</Typography.Text>
          <Typography.Text>
            <Highlighted text={highlight.text} marks={highlight.marks} />
          </Typography.Text>
        </div>
      ))}
    </article>
  );
}

export function ResultList({ hits, categories }: { hits: SearchHit[]; categories: readonly Category[] }) {
  if (hits.length === 0) return <Empty description="没有找到符合条件的档案" />;
  return (
    <ol aria-label="检索结果" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {hits.map((hit) => (
        <li key={hit.item.archiveCode}>
          <Hit hit={hit} categories={categories} />
        </li>
      ))}
    </ol>
  );
}
