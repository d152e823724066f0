import { Button, Empty, Input, Tree, Typography } from 'antd';
import type { DataNode } from 'antd/es/tree';
import { useMemo, useState } from 'react';
import type { Category } from './itemFields';

// 分类方案 as a tree by parent code. Retired categories stay (their items are still in the
// archive) but greyed. Selecting a node filters the items to its whole branch (the API includes
// the subtree).

function buildTree(categories: Category[], filter: string): DataNode[] {
  const children = new Map<string | null, Category[]>();
  const codes = new Set(categories.map((category) => category.code));
  for (const category of categories) {
    // A parent missing from the list (outside what the API answered) puts the node at the top.
    const parent = category.parent && codes.has(category.parent) ? category.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), category]);
  }
  const needle = filter.trim().toLowerCase();
  const matches = (category: Category): boolean =>
    !needle ||
    category.name.toLowerCase().includes(needle) ||
    category.code.toLowerCase().includes(needle) ||
    (children.get(category.code) ?? []).some(matches);
  const nodes = (parent: string | null): DataNode[] =>
    (children.get(parent) ?? []).filter(matches).map((category) => {
      const retired = category.status === 'retired';
      return {
        key: category.code,
        title: (
          <span title={retired ? '已停用的类别（其下档案仍可查阅）' : category.name}>
            <Typography.Text type={retired ? 'secondary' : undefined}>{category.name}</Typography.Text>{' '}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {category.code}
              {retired ? ' · 停用' : ''}
            </Typography.Text>
          </span>
        ),
        children: nodes(category.code),
      };
    });
  return nodes(null);
}

export function CategoryTree({
  categories,
  selected,
  onSelect,
}: {
  categories: Category[];
  selected: string | undefined;
  onSelect: (code: string | undefined) => void;
}) {
  const [filter, setFilter] = useState('');
  const treeData = useMemo(() => buildTree(categories, filter), [categories, filter]);
  const topLevel = useMemo(
    () => categories.filter((category) => !category.parent).map((category) => category.code),
    [categories],
  );
  return (
    <nav aria-label="分类方案">
      <Input.Search
        aria-label="筛选类别"
        placeholder="筛选类别名称或代码"
        allowClear
        size="small"
        onChange={(event) => setFilter(event.target.value)}
        style={{ marginBottom: 8 }}
      />
      <Button
        type={selected ? 'link' : 'text'}
        size="small"
        onClick={() => onSelect(undefined)}
        aria-pressed={!selected}
        style={{ paddingInline: 4, fontWeight: selected ? undefined : 600 }}
      >
        全部类别
      </Button>
      {treeData.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="没有匹配的类别" />
      ) : (
        <Tree
          aria-label="类别树"
          treeData={treeData}
          selectedKeys={selected ? [selected] : []}
          // Remounted per filter, so a filtered tree opens fully and the plain one shows the top level.
          key={filter ? `filtered-${filter}` : 'all'}
          defaultExpandAll={Boolean(filter)}
          defaultExpandedKeys={filter ? undefined : topLevel}
          blockNode
          onSelect={(keys) => onSelect(keys[0] === undefined ? undefined : String(keys[0]))}
        />
      )}
    </nav>
  );
}
