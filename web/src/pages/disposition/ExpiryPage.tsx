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
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { categoryTree, RETENTION_NAMES, useCategories, useFonds } from '../filing/catalog';
import {
  appraisalPaths,
  type DueItem,
  type ExpiryEntry,
  type ExpiryList,
  type Round,
  roundPath,
} from './appraisalView';
import { getJson, postJson } from './dispositionApi';
import { PROPOSAL_NAMES } from './names';

// 到期档案: the expiry list of a fonds from the retention schedule as it stands (the longer of the
// item's own and its category's current period): by year and category with the due date, 应保管 and
// 已保管 years, then the items due today. A round is opened from a selection of them, or from all
// the list shows (its year and category).

const PAGE = 50;

interface RoundValues {
  title: string;
  members: string[];
  lead: string;
}

const retentionText = (code: string) => RETENTION_NAMES[code] ?? code;

const entryColumns: ColumnsType<ExpiryEntry> = [
  { title: FIELD_LABELS.year, dataIndex: 'year', width: 70 },
  {
    title: FIELD_LABELS.category,
    key: 'category',
    render: (_, entry) => `${entry.category} ${entry.categoryName}`,
  },
  {
    title: FIELD_LABELS.retention,
    key: 'retention',
    width: 110,
    render: (_, entry) => retentionText(entry.retention),
  },
  {
    title: '应保管/已保管',
    key: 'years',
    width: 130,
    render: (_, entry) => `${entry.yearsToKeep ?? '—'} 年 / ${entry.yearsKept} 年`,
  },
  {
    title: '到期日',
    key: 'expiresOn',
    width: 130,
    render: (_, entry) =>
      entry.expiresOn === null ? (
        '永不到期'
      ) : (
        <>
          {entry.expiresOn} {entry.due ? <Tag color="gold">已到期</Tag> : null}
        </>
      ),
  },
  { title: '件数', dataIndex: 'items', width: 80 },
];

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
        ? getJson<ExpiryList>(appraisalPaths.expiry, { ...filter, limit: PAGE, offset: (page - 1) * PAGE })
        : Promise.resolve(undefined),
    [filter.fonds, filter.year, filter.category, page],
  );
  const dueTotal = (list.data?.entries ?? [])
    .filter((entry) => entry.due)
    .reduce((sum, entry) => sum + entry.items, 0);

  const change = (next: Partial<typeof filter>) => {
    setPage(1);
    setSelected([]);
    setFilter((current) => ({ ...current, ...next }));
  };

  const startOpening = (what: 'selection' | 'all') => {
    setFormError(undefined);
    form.setFieldsValue({ members: user ? [user.username] : [], lead: user?.username });
    setOpening(what);
  };

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
          : { all: true, year: filter.year, category: filter.category },
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
      title: FIELD_LABELS.archiveCode,
      dataIndex: 'archiveCode',
      width: 230,
      render: (code: string) => <Link to={itemPath(code)}>{code}</Link>,
    },
    { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
    { title: FIELD_LABELS.year, dataIndex: 'year', width: 70 },
    {
      title: FIELD_LABELS.retention,
      key: 'retention',
      width: 130,
      render: (_, row) => (
        <>
          <div>{retentionText(row.effectiveRetention)}</div>
          <Typography.Text type="secondary">
            应保管 {row.yearsToKeep ?? '—'} 年 · 已保管 {row.yearsKept} 年
          </Typography.Text>
        </>
      ),
    },
    { title: '到期日', dataIndex: 'expiresOn', width: 110 },
    {
      title: '鉴定',
      key: 'round',
      width: 200,
      render: (_, row) =>
        row.round ? (
          <Link to={roundPath(row.round)}>
            <Tag color={row.decision === 'destroy' ? 'red' : 'blue'}>
              {row.decision ? (PROPOSAL_NAMES[row.decision] ?? row.decision) : '鉴定中'}
            </Tag>
            {row.round}
          </Link>
        ) : (
          <Tag color="gold">待鉴定</Tag>
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
          style={{ width: 240 }}
          value={filter.fonds}
          options={fondsOptions}
          onChange={(value: string) => change({ fonds: value })}
        />
        <InputNumber
          aria-label={FIELD_LABELS.year}
          placeholder={FIELD_LABELS.year}
          min={1949}
          max={2100}
          value={filter.year}
          onChange={(value) => change({ year: value ?? undefined })}
        />
        <TreeSelect
          aria-label={FIELD_LABELS.category}
          placeholder={FIELD_LABELS.category}
          style={{ width: 220 }}
          allowClear
          showSearch
          treeNodeFilterProp="title"
          value={filter.category}
          treeData={categoryTree(categories.data ?? [], 'search')}
          onChange={(value?: string) => change({ category: value })}
        />
        {list.data?.refreshedAt ? (
          <Typography.Text type="secondary">
            清单更新于 {beijingText(list.data.refreshedAt, 'minute')}
          </Typography.Text>
        ) : null}
      </Space>
      <ErrorNotice error={list.error} retry={list.reload} />
      <Table
        data-testid="expiry-summary-table"
        rowKey={(entry) => `${entry.year}-${entry.category}-${entry.retention}-${entry.expiresOn}`}
        size="small"
        loading={list.loading}
        columns={entryColumns}
        dataSource={list.data?.entries ?? []}
        onRow={(entry) => ({ onClick: () => change({ year: entry.year, category: entry.category }) })}
        locale={{ emptyText: '本全宗没有符合条件的档案' }}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        style={{ marginBottom: 24 }}
      />
      <Space wrap style={{ marginBottom: 12 }}>
        <Typography.Text strong>已到期 {dueTotal} 件</Typography.Text>
        <Button type="primary" disabled={selected.length === 0} onClick={() => startOpening('selection')}>
          选中的 {selected.length} 件开始鉴定
        </Button>
        <Button disabled={dueTotal === 0} onClick={() => startOpening('all')}>
          清单中的全部开始鉴定
        </Button>
      </Space>
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
          getCheckboxProps: (row) => ({ disabled: row.round !== null && row.decision !== 'keep' }),
        }}
        locale={{ emptyText: '没有已到期的档案' }}
        pagination={{
          current: page,
          pageSize: PAGE,
          total: dueTotal,
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
            : `开始鉴定：清单中已到期的 ${dueTotal} 件`
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
            extra="填写用户名（回车确认），至少两人"
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
