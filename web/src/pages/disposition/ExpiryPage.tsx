import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { ErrorNotice } from '../../components/ErrorNotice';
import { categoryTree, RETENTION_NAMES, useCategories, useFonds } from '../filing/catalog';
import { appraisalPaths, type DueItem, type DueList, type Round, roundPath } from './appraisalView';
import { getJson, postJson } from './dispositionApi';

// 到期档案: the expiry list of a fonds, by year and category, from the retention schedule as it
// stands (the longer of the item's own and its category's current period). Items already in a round,
// on a register or destroyed are listed with their state. A round is opened from a selection, or
// from the whole list shown (its year and category).

const PAGE = 50;

interface RoundValues {
  title: string;
  members: string[];
  lead: string;
}

export default function ExpiryPage() {
  const { user } = useAuth();
  const navigate = useNavigate();
  const fonds = useFonds();
  const categories = useCategories();
  const [filter, setFilter] = useState<{ fonds?: string; year?: number; category?: string }>({});
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<string[]>([]);
  const [opening, setOpening] = useState<'selection' | 'all'>();
  const [form] = Form.useForm<RoundValues>();
  const members = Form.useWatch('members', form) ?? [];
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);

  // The first fonds is shown until another is chosen.
  useEffect(() => {
    const first = fonds.data?.[0]?.code;
    if (!filter.fonds && first) setFilter((current) => ({ ...current, fonds: first }));
  }, [fonds.data, filter.fonds]);

  const list = useRequest(
    () =>
      filter.fonds
        ? getJson<DueList>(appraisalPaths.due, { ...filter, limit: PAGE, offset: (page - 1) * PAGE })
        : Promise.resolve({ items: [], total: 0 }),
    [filter.fonds, filter.year, filter.category, page],
  );

  const open = async (values: RoundValues) => {
    if (!filter.fonds || !opening) return;
    setBusy(true);
    setFormError(undefined);
    try {
      const round = await postJson<Round>(appraisalPaths.rounds, {
        fonds: filter.fonds,
        title: values.title,
        members: values.members,
        lead: values.lead,
      });
      await postJson(
        appraisalPaths.items(round.code),
        opening === 'selection'
          ? { items: selected }
          : {
              all: {
                ...(filter.year ? { year: filter.year } : {}),
                ...(filter.category ? { category: filter.category } : {}),
              },
            },
      );
      navigate(roundPath(round.code));
    } catch (caught) {
      setFormError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };

  const columns: ColumnsType<DueItem> = [
    {
      title: '档号',
      dataIndex: 'archiveCode',
      width: 230,
      render: (code: string) => <Link to={itemPath(code)}>{code}</Link>,
    },
    { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
    { title: '类别', key: 'category', width: 110, render: (_, row) => row.categoryName ?? row.category },
    { title: '年度', dataIndex: 'year', width: 70 },
    {
      title: '保管期限',
      key: 'retention',
      width: 120,
      render: (_, row) => (
        <>
          <div>{RETENTION_NAMES[row.effectiveRetention ?? row.retention] ?? row.retention}</div>
          <Typography.Text type="secondary">
            应保管 {row.yearsRequired ?? '—'} 年 · 已保管 {row.yearsKept ?? '—'} 年
          </Typography.Text>
        </>
      ),
    },
    { title: '到期日', dataIndex: 'expiresOn', width: 110, render: (day: string | null) => day ?? '—' },
    {
      title: '状态',
      key: 'state',
      width: 150,
      render: (_, row) =>
        row.register ? (
          <Tag color="red">
            {row.stateName ?? row.state} {row.register}
          </Tag>
        ) : row.round ? (
          <Link to={roundPath(row.round)}>
            <Tag color="blue">
              {row.stateName ?? row.state} {row.round}
            </Tag>
          </Link>
        ) : (
          <Tag color={row.state === 'due' ? 'gold' : 'default'}>{row.stateName ?? row.state}</Tag>
        ),
    },
  ];

  const fondsOptions = (fonds.data ?? []).map((row) => ({
    value: row.code,
    label: `${row.code} ${row.name}`,
  }));
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          到期档案
        </Typography.Title>
      }
    >
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          aria-label="全宗"
          style={{ width: 220 }}
          value={filter.fonds}
          options={fondsOptions}
          onChange={(value: string) => {
            setPage(1);
            setSelected([]);
            setFilter((current) => ({ ...current, fonds: value }));
          }}
        />
        <InputNumber
          aria-label="年度"
          placeholder="年度"
          min={1949}
          max={2100}
          value={filter.year}
          onChange={(value) => {
            setPage(1);
            setFilter((current) => ({ ...current, year: value ?? undefined }));
          }}
        />
        <TreeSelect
          aria-label="类别"
          placeholder="类别"
          style={{ width: 220 }}
          allowClear
          showSearch
          treeNodeFilterProp="title"
          value={filter.category}
          treeData={categoryTree(categories.data ?? [], 'search')}
          onChange={(value?: string) => {
            setPage(1);
            setFilter((current) => ({ ...current, category: value }));
          }}
        />
        <Button
          type="primary"
          disabled={selected.length === 0}
          onClick={() => {
            form.setFieldsValue({ members: user ? [user.username] : [], lead: user?.username });
            setOpening('selection');
          }}
        >
          选中的 {selected.length} 件开始鉴定
        </Button>
        <Button
          disabled={!list.data?.total}
          onClick={() => {
            form.setFieldsValue({ members: user ? [user.username] : [], lead: user?.username });
            setOpening('all');
          }}
        >
          整个清单开始鉴定
        </Button>
      </Space>
      <ErrorNotice error={list.error} retry={list.reload} />
      <Table
        data-testid="expiry-table"
        rowKey="archiveCode"
        size="middle"
        loading={list.loading}
        columns={columns}
        dataSource={list.data?.items ?? []}
        rowSelection={{
          selectedRowKeys: selected,
          onChange: (keys) => setSelected(keys as string[]),
          getCheckboxProps: (row) => ({ disabled: row.state !== 'due', name: row.archiveCode }),
        }}
        locale={{ emptyText: '没有到期档案' }}
        pagination={{
          current: page,
          pageSize: PAGE,
          total: list.data?.total ?? 0,
          showSizeChanger: false,
          hideOnSinglePage: true,
          showTotal: (total) => `共 ${total} 件`,
          onChange: setPage,
        }}
      />
      <Modal
        open={!!opening}
        title={
          opening === 'selection'
            ? `开始鉴定：选中的 ${selected.length} 件`
            : `开始鉴定：清单中的 ${list.data?.total ?? 0} 件`
        }
        okText="开始鉴定"
        cancelText="取消"
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setOpening(undefined)}
      >
        {formError && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={formError} />}
        <Form form={form} layout="vertical" onFinish={open}>
          <Form.Item name="title" label="批次名称" rules={[{ required: true, message: '请填写批次名称' }]}>
            <Input aria-label="批次名称" maxLength={200} />
          </Form.Item>
          <Form.Item
            name="members"
            label="鉴定小组成员"
            extra="填写用户名，至少两人"
            rules={[{ required: true, type: 'array', min: 2, message: '鉴定小组至少两人' }]}
          >
            <Select aria-label="鉴定小组成员" mode="tags" tokenSeparators={[',', '，', ' ']} open={false} />
          </Form.Item>
          <Form.Item name="lead" label="组长" rules={[{ required: true, message: '请选择组长' }]}>
            <Select aria-label="组长" options={members.map((name) => ({ value: name, label: name }))} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
