import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Segmented,
  Select,
  Space,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { useAuth } from '../../app/auth';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { categoryTree, optionsOf, useCategories, useFonds } from '../filing/catalog';
import { type Hold, type HoldInput, liftHold, listHolds, placeHold } from './holdView';
import { HOLD_KIND_NAMES, HOLD_QUERY_FIELDS, HOLD_STATE_NAMES } from './names';

// 冻结: legal holds of the archivist's or auditor's fonds. A hold names items by their 档号, by a
// query (one insured person, one institution's settlements of a year …) or by a category and year;
// a query hold also covers items filed later that match. Held items cannot be destroyed, transferred
// or have their retention shortened. Lifting needs a reason; every change is an event.

interface Values {
  fonds: string;
  kind: NonNullable<HoldInput['kind']>;
  items?: string;
  category?: string;
  year?: number;
  idNumber?: string;
  insuredNumber?: string;
  org?: string;
  institution?: string;
  businessType?: string;
  reason: string;
  caseRef?: string;
}

const splitCodes = (text = '') => text.split(/[\s,，、]+/).filter(Boolean);

/** The query's text fields, named by the vocabulary (the ID number is asked for apart: never shown). */
const TEXT_FIELDS = ['insuredNumber', 'org', 'institution', 'businessType'] as const;

/** The hold as the API takes it: the fields of the chosen kind only (the form keeps the others). */
function holdBody(values: Values): HoldInput {
  const shared = {
    fonds: values.fonds,
    kind: values.kind,
    reason: values.reason,
    caseRef: values.caseRef || undefined,
  };
  if (values.kind === 'items') return { ...shared, items: splitCodes(values.items) };
  if (values.kind === 'category_year') return { ...shared, category: values.category, year: values.year };
  const fields = ['category', 'year', 'idNumber', ...TEXT_FIELDS] as const;
  return {
    ...shared,
    ...Object.fromEntries(
      fields
        .map((field) => [field, values[field]])
        .filter(([, value]) => value !== undefined && value !== ''),
    ),
  };
}

export default function HoldsPage() {
  const [state, setState] = useState<'active' | 'lifted'>('active');
  const holds = useRequest(() => listHolds(state), [state]);
  // The auditor, who places holds but reads no catalog, types the codes.
  const { can } = useAuth();
  const catalog = can('catalog.read');
  const fonds = useFonds(catalog);
  const categories = useCategories(catalog);
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form) ?? 'items';
  const [placing, setPlacing] = useState(false);
  const [lifting, setLifting] = useState<Hold>();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError>();
  const [formError, setFormError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const place = async (values: Values) => {
    setBusy(true);
    setFormError(undefined);
    try {
      const hold = await placeHold(holdBody(values));
      setDone(`已冻结 ${hold.code}${hold.itemCount === null ? '' : `：${hold.itemCount} 件`}`);
      setPlacing(false);
      form.resetFields();
      holds.reload();
    } catch (caught) {
      setFormError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };

  const lift = async () => {
    if (!lifting) return;
    setBusy(true);
    setError(undefined);
    try {
      const hold = await liftHold(lifting.code, reason);
      setDone(`已解除冻结 ${hold.code}`);
      setLifting(undefined);
      holds.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const columns: ColumnsType<Hold> = [
    { title: '冻结编号', dataIndex: 'code', width: 130 },
    {
      title: '范围',
      key: 'scope',
      render: (_, hold) => (
        <>
          <Tag>{hold.kindName}</Tag>
          {hold.summary}
        </>
      ),
    },
    {
      title: '件数',
      dataIndex: 'itemCount',
      width: 70,
      // An auditor, who reads no archives, is not told how many items a query covers.
      render: (count: number | null) => count ?? '—',
    },
    {
      title: '冻结原因',
      key: 'reason',
      render: (_, hold) => (
        <>
          <div>{hold.reason}</div>
          {hold.caseRef ? <Typography.Text type="secondary">案件编号 {hold.caseRef}</Typography.Text> : null}
        </>
      ),
    },
    {
      title: '冻结',
      key: 'placed',
      width: 160,
      render: (_, hold) => (
        <>
          <div>{beijingText(hold.placedAt, 'minute')}</div>
          <Typography.Text type="secondary">{hold.placedBy}</Typography.Text>
        </>
      ),
    },
    {
      title: state === 'active' ? '操作' : '解除',
      key: 'lift',
      width: state === 'active' ? 90 : 200,
      render: (_, hold) =>
        hold.liftedAt ? (
          <>
            <div>
              {beijingText(hold.liftedAt, 'minute')} {hold.liftedBy}
            </div>
            <Typography.Text type="secondary">{hold.liftReason}</Typography.Text>
          </>
        ) : (
          <Button
            size="small"
            danger
            onClick={() => {
              setReason('');
              setError(undefined);
              setLifting(hold);
            }}
          >
            解除
          </Button>
        ),
    },
  ];

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          冻结
        </Typography.Title>
      }
      extra={
        <Button type="primary" onClick={() => setPlacing(true)}>
          新建冻结
        </Button>
      }
    >
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      <Segmented
        style={{ marginBottom: 16 }}
        value={state}
        onChange={(value) => setState(value as 'active' | 'lifted')}
        options={[
          { value: 'active', label: HOLD_STATE_NAMES.active ?? 'active' },
          { value: 'lifted', label: HOLD_STATE_NAMES.lifted ?? 'lifted' },
        ]}
      />
      <ErrorNotice error={holds.error} retry={holds.reload} />
      <Table
        data-testid="holds-table"
        rowKey="code"
        size="middle"
        loading={holds.loading}
        columns={columns}
        dataSource={holds.data?.holds ?? []}
        locale={{ emptyText: state === 'active' ? '没有生效中的冻结' : '没有已解除的冻结' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />

      <Modal
        open={placing}
        title="新建冻结"
        okText="冻结"
        cancelText="取消"
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setPlacing(false)}
        width={560}
      >
        {formError && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={formError} />}
        <Form form={form} layout="vertical" onFinish={place} initialValues={{ kind: 'items' }}>
          <Form.Item name="fonds" label="全宗" rules={[{ required: true, message: '请选择全宗' }]}>
            {catalog ? (
              <Select
                aria-label="全宗"
                options={(fonds.data ?? []).map((row) => ({
                  value: row.code,
                  label: `${row.code} ${row.name}`,
                }))}
              />
            ) : (
              <Input aria-label="全宗" maxLength={4} placeholder="全宗号，如 J013" />
            )}
          </Form.Item>
          <Form.Item name="kind" label="冻结范围">
            <Radio.Group options={optionsOf(HOLD_KIND_NAMES)} optionType="button" />
          </Form.Item>
          {kind === 'items' ? (
            <Form.Item
              name="items"
              label="档号"
              rules={[{ required: true, message: '请填写档号' }]}
              extra="每行一个档号"
            >
              <Input.TextArea aria-label="档号" rows={4} />
            </Form.Item>
          ) : (
            <Space wrap align="start">
              <Form.Item
                name="category"
                label={HOLD_QUERY_FIELDS.category}
                rules={kind === 'category_year' ? [{ required: true, message: '请选择类别' }] : []}
              >
                {catalog ? (
                  <TreeSelect
                    aria-label={HOLD_QUERY_FIELDS.category}
                    style={{ width: 240 }}
                    allowClear
                    showSearch
                    treeNodeFilterProp="title"
                    treeData={categoryTree(categories.data ?? [], 'search')}
                  />
                ) : (
                  <Input
                    aria-label={HOLD_QUERY_FIELDS.category}
                    style={{ width: 240 }}
                    placeholder="类别代码"
                  />
                )}
              </Form.Item>
              <Form.Item
                name="year"
                label={HOLD_QUERY_FIELDS.year}
                rules={kind === 'category_year' ? [{ required: true, message: '请填写年度' }] : []}
              >
                <InputNumber
                  aria-label={HOLD_QUERY_FIELDS.year}
                  min={1949}
                  max={2100}
                  style={{ width: 110 }}
                />
              </Form.Item>
            </Space>
          )}
          {kind === 'query' && (
            <Space wrap align="start">
              <Form.Item
                name="idNumber"
                label={HOLD_QUERY_FIELDS.idNumber}
                extra="只用于查找，不显示、不记录原文"
              >
                <Input.Password
                  aria-label={HOLD_QUERY_FIELDS.idNumber}
                  autoComplete="off"
                  style={{ width: 240 }}
                />
              </Form.Item>
              {TEXT_FIELDS.map((field) => (
                <Form.Item key={field} name={field} label={HOLD_QUERY_FIELDS[field]}>
                  <Input aria-label={HOLD_QUERY_FIELDS[field]} style={{ width: 180 }} />
                </Form.Item>
              ))}
            </Space>
          )}
          <Form.Item name="reason" label="冻结原因" rules={[{ required: true, message: '请填写冻结原因' }]}>
            <Input.TextArea aria-label="冻结原因" rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="caseRef" label="案件编号">
            <Input aria-label="案件编号" maxLength={100} />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={!!lifting}
        title={lifting ? `解除冻结 ${lifting.code}` : ''}
        okText="解除冻结"
        okButtonProps={{ danger: true, disabled: reason.trim() === '' }}
        cancelText="取消"
        confirmLoading={busy}
        onOk={lift}
        onCancel={() => setLifting(undefined)}
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        <Input.TextArea
          aria-label="解除理由"
          rows={3}
          maxLength={500}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          placeholder="解除理由（必填）"
        />
      </Modal>
    </Card>
  );
}
