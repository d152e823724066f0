import { LeftOutlined, PlusOutlined, RightOutlined } from '@ant-design/icons';
import { Button, Card, Col, Row, Select, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { BatchActions } from './BatchActions';
import { CategoryTree } from './CategoryTree';
import { type FilterValues, ItemFilters } from './ItemFilters';
import {
  ColumnSettings,
  SELECTION_WIDTH,
  tableColumns,
  tableWidth,
  useVisibleColumns,
  useWidth,
} from './itemColumns';
import { type Item, itemPath } from './itemFields';

// 档案管理: the classification tree beside the items it holds. The API pages forward by cursor, so
// 上一页 goes back through the cursors already seen; filters, page size and that chain live in the
// address (back from an item returns to the same page) — except the 身份证号, which stays in memory.

const PAGE_SIZES = [20, 50, 100, 200];

function readParams(params: URLSearchParams) {
  const number = (key: string) => {
    const value = Number(params.get(key));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const limit = number('limit');
  const after = params.get('after');
  return {
    fonds: params.get('fonds') || undefined,
    category: params.get('category') || undefined,
    year: number('year'),
    limit: limit && PAGE_SIZES.includes(limit) ? limit : 50,
    // The cursors of the pages before this one, in order; empty on the first page.
    cursors: after
      ? after
          .split(',')
          .map(Number)
          .filter((value) => Number.isInteger(value) && value >= 0)
      : [],
  };
}

export default function ItemsPage() {
  const { can, user } = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { fonds, category, year, limit, cursors } = readParams(params);
  const [idNumber, setIdNumber] = useState<string>();
  const [selected, setSelected] = useState<Item[]>([]);
  // The columns shown by default are those that fit the table's width.
  const [tableBox, tableBoxWidth] = useWidth<HTMLDivElement>();
  const columns = useVisibleColumns(user?.username ?? '', tableBoxWidth);

  // The tree and the fonds list need catalog.read; without it the list still works, unfiltered.
  const categories = useRequest(
    () => (can('catalog.read') ? unwrap(api.GET('/api/v1/categories')) : Promise.resolve([])),
    [],
  );
  const fondsList = useRequest(
    () => (can('catalog.read') ? unwrap(api.GET('/api/v1/fonds')) : Promise.resolve([])),
    [],
  );
  const cursor = cursors.at(-1);
  const page = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/items', {
          params: { query: { fonds, category, year, idNumber, cursor, limit } },
        }),
      ),
    [fonds, category, year, idNumber, cursor, limit],
  );

  const update = (changes: Record<string, string | number | undefined>, keepPage = false) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes))
      if (value === undefined || value === '') next.delete(key);
      else next.set(key, String(value));
    if (!keepPage) next.delete('after');
    setParams(next);
    setSelected([]);
  };
  const goToCursors = (chain: number[]) =>
    update({ after: chain.length > 0 ? chain.join(',') : undefined }, true);

  const filterValues = useMemo<FilterValues>(() => ({ fonds, year, idNumber }), [fonds, year, idNumber]);
  const antColumns = useMemo(() => tableColumns(columns.visible), [columns.visible]);
  const categoryName = categories.data?.find((entry) => entry.code === category)?.name;
  const items = page.data?.items ?? [];
  const nextCursor = page.data?.nextCursor ?? null;

  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} align="center">
        <Typography.Title level={3} style={{ margin: 0 }}>
          档案管理
        </Typography.Title>
        {can('item.create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/filing/new')}>
            著录归档
          </Button>
        )}
      </Space>
      <Row gutter={16} style={{ marginTop: 16 }} wrap={false}>
        {can('catalog.read') && (
          <Col flex="280px">
            <Card
              title="分类方案"
              size="small"
              styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflow: 'auto' } }}
            >
              <ErrorNotice error={categories.error} retry={categories.reload} />
              <CategoryTree
                categories={categories.data ?? []}
                selected={category}
                onSelect={(code) => update({ category: code })}
              />
            </Card>
          </Col>
        )}
        <Col flex="auto" style={{ minWidth: 0 }}>
          <Card size="small">
            <ItemFilters
              fonds={fondsList.data}
              values={filterValues}
              onApply={(values) => {
                setIdNumber(values.idNumber);
                update({ fonds: values.fonds, year: values.year });
              }}
            />
            <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
              <BatchActions selected={selected} columns={columns.visible} onClear={() => setSelected([])} />
              <Space>
                {category && (
                  <Typography.Text type="secondary">
                    类别：{categoryName ?? category}（含下级类别）
                  </Typography.Text>
                )}
                <ColumnSettings visible={columns.visible} setShown={columns.setShown} reset={columns.reset} />
              </Space>
            </Space>
            <ErrorNotice error={page.error} retry={page.reload} />
            <div ref={tableBox} data-testid="items-table">
              <Table<Item>
                rowKey="archiveCode"
                size="middle"
                loading={page.loading}
                dataSource={items}
                columns={antColumns}
                pagination={false}
                // The header stays in view down a long page; 档号 stays in view if the user shows more
                // columns than fit.
                sticky
                scroll={{ x: tableWidth(columns.visible) }}
                locale={{ emptyText: page.loading ? ' ' : '没有符合条件的档案' }}
                rowSelection={{
                  fixed: true,
                  columnWidth: SELECTION_WIDTH,
                  selectedRowKeys: selected.map((item) => item.archiveCode),
                  onChange: (_keys, rows) => setSelected(rows),
                }}
                onRow={(item) => ({
                  onClick: (event) => {
                    // Ticking a row's checkbox selects it; only a click elsewhere on the row opens it.
                    if ((event.target as HTMLElement).closest('.ant-table-selection-column, a, button'))
                      return;
                    navigate(itemPath(item.archiveCode), { state: { listed: item } });
                  },
                  style: { cursor: 'pointer' },
                })}
              />
            </div>
            <Space style={{ width: '100%', justifyContent: 'flex-end', marginTop: 12 }} wrap>
              <Typography.Text type="secondary">
                第 {cursors.length + 1} 页，本页 {items.length} 件
              </Typography.Text>
              <Button
                icon={<LeftOutlined />}
                disabled={cursors.length === 0 || page.loading}
                onClick={() => goToCursors(cursors.slice(0, -1))}
              >
                上一页
              </Button>
              <Button
                disabled={nextCursor === null || page.loading}
                onClick={() => nextCursor !== null && goToCursors([...cursors, nextCursor])}
              >
                下一页 <RightOutlined />
              </Button>
              <Select
                aria-label="每页条数"
                value={limit}
                style={{ width: 120 }}
                onChange={(value) => update({ limit: value })}
                options={PAGE_SIZES.map((size) => ({ value: size, label: `${size} 条/页` }))}
              />
            </Space>
          </Card>
        </Col>
      </Row>
    </div>
  );
}
