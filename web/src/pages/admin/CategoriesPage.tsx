import { App, Button, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, useRequest } from '../../app/hooks';
import { RETENTION_NAMES, SENSITIVITY_NAMES } from '../../app/labels';
import { ErrorNotice } from '../../components/ErrorNotice';
import { AddCategoryModal, type Category, RenameCategoryModal } from './CategoryModals';

// 分类方案: the category tree. A category that was used (items or sub-categories) cannot be deleted,
// only retired; the server says which, and its refusal is shown as it comes.

interface Node extends Category {
  children?: Node[];
}

function buildTree(categories: Category[]): Node[] {
  const nodes = new Map(categories.map((category) => [category.code, { ...category } as Node]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent ? nodes.get(node.parent) : undefined;
    if (!parent) roots.push(node);
    else if (parent.children) parent.children.push(node);
    else parent.children = [node];
  }
  return roots;
}

export default function CategoriesPage() {
  const { message } = App.useApp();
  const categories = useRequest(() => unwrap(api.GET('/api/v1/categories')), []);
  const tree = useMemo(() => buildTree(categories.data ?? []), [categories.data]);
  const [adding, setAdding] = useState<{ parent: Category | null }>();
  const [renaming, setRenaming] = useState<Category>();
  const [busy, setBusy] = useState<string>();

  const run = async (code: string, action: () => Promise<unknown>, done: string) => {
    setBusy(code);
    try {
      await action();
      message.success(done);
      categories.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(undefined);
    }
  };

  const setStatus = (category: Category, status: 'active' | 'retired') =>
    run(
      category.code,
      () =>
        unwrap(
          api.PATCH('/api/v1/categories/{code}', {
            params: { path: { code: category.code } },
            body: { status },
          }),
        ),
      `类别 ${category.code} 已${status === 'retired' ? '停用' : '重新启用'}`,
    );

  const remove = (category: Category) =>
    run(
      category.code,
      () => unwrap(api.DELETE('/api/v1/categories/{code}', { params: { path: { code: category.code } } })),
      `类别 ${category.code} 已删除`,
    );

  const columns: ColumnsType<Node> = [
    { title: '类别代码', dataIndex: 'code', width: 200 },
    {
      title: '类别名称',
      dataIndex: 'name',
      render: (name: string, row) => (
        <Space size={4}>
          {name}
          {row.builtin && <Tag>内置</Tag>}
        </Space>
      ),
    },
    {
      title: '默认保管期限',
      dataIndex: 'defaultRetention',
      width: 120,
      render: (code: string) => RETENTION_NAMES[code] ?? code,
    },
    {
      title: '默认敏感级别',
      dataIndex: 'defaultSensitivity',
      width: 110,
      render: (code: string) => SENSITIVITY_NAMES[code] ?? code,
    },
    {
      title: '状态',
      dataIndex: 'status',
      width: 80,
      render: (status: string) =>
        status === 'retired' ? <Tag>已停用</Tag> : <Tag color="success">启用</Tag>,
    },
    {
      title: '操作',
      key: 'actions',
      width: 300,
      render: (_, row) => (
        <Space size={4} wrap>
          <Button size="small" onClick={() => setAdding({ parent: row })} disabled={row.status === 'retired'}>
            新增下级
          </Button>
          <Button size="small" onClick={() => setRenaming(row)}>
            重命名
          </Button>
          {row.status === 'retired' ? (
            <Button size="small" loading={busy === row.code} onClick={() => void setStatus(row, 'active')}>
              启用
            </Button>
          ) : (
            <Popconfirm
              title={`停用类别 ${row.code} ${row.name}？`}
              description="停用后不能再按此类别归档，已有档案不受影响"
              okText="停用"
              cancelText="取消"
              onConfirm={() => setStatus(row, 'retired')}
            >
              <Button size="small" loading={busy === row.code}>
                停用
              </Button>
            </Popconfirm>
          )}
          <Popconfirm
            title={`删除类别 ${row.code} ${row.name}？`}
            description="只能删除从未使用的类别；已有档案或下级类别的只能停用"
            okText="删除"
            okButtonProps={{ danger: true }}
            cancelText="取消"
            onConfirm={() => remove(row)}
          >
            <Button size="small" danger>
              删除
            </Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={3}>分类方案</Typography.Title>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setAdding({ parent: null })}>
          新增一级类别
        </Button>
        <Typography.Text type="secondary">类别代码进入档号；已使用的类别不能删除，只能停用。</Typography.Text>
      </Space>
      <ErrorNotice error={categories.error} retry={categories.reload} />
      <Table<Node>
        rowKey="code"
        size="middle"
        loading={categories.loading}
        columns={columns}
        dataSource={tree}
        pagination={false}
        key={categories.data ? 'loaded' : 'loading'}
        expandable={{ defaultExpandAllRows: true }}
      />
      {adding && (
        <AddCategoryModal
          parent={adding.parent}
          onClose={() => setAdding(undefined)}
          onDone={categories.reload}
        />
      )}
      {renaming && (
        <RenameCategoryModal
          category={renaming}
          onClose={() => setRenaming(undefined)}
          onDone={categories.reload}
        />
      )}
    </>
  );
}
