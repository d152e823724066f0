import { Button, Card, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFonds } from '../filing/catalog';
import {
  CASE_STATE_NAMES,
  CASE_STATE_ORDER,
  type CaseRow,
  casePath,
  listCases,
  openCase,
  splitList,
} from './case-api';

// 核查案件: the cases of the supervisor's regions, newest first, filtered by state; 人工立案 (a 举报 or a
// task from above, with its reason and the archives to hold as evidence) opens the case's own page.
// A case from 线索 is opened from 规则与线索 or here with the clue numbers.

interface OpenValues {
  title: string;
  fonds: string;
  region?: string;
  reason?: string;
  clues?: string;
  items?: string;
}

export const STATE_COLORS: Record<string, string> = {
  open: 'blue',
  examining: 'gold',
  concluded: 'purple',
  closed: 'default',
};

export default function CasesPage() {
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? undefined;
  const cases = useRequest(
    () => listCases({ state: state as CaseRow['state'] | undefined, limit: 200 }),
    [state],
  );
  const { can } = useAuth();
  const mayWork = can('case.work');
  const fonds = useFonds(can('catalog.read'));
  const navigate = useNavigate();
  const [form] = Form.useForm<OpenValues>();
  const [opening, setOpening] = useState(false);
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string>();

  const open = async (values: OpenValues) => {
    setBusy(true);
    setFormError(undefined);
    try {
      const clues = splitList(values.clues).map(Number);
      const made = await openCase({
        title: values.title,
        fonds: values.fonds,
        ...(values.region ? { region: values.region } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
        ...(clues.length > 0 ? { clues } : {}),
        ...(values.items ? { items: splitList(values.items) } : {}),
      });
      setOpening(false);
      form.resetFields();
      navigate(casePath(made.code));
    } catch (caught) {
      setFormError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };

  const columns: ColumnsType<CaseRow> = [
    {
      title: '案件编号',
      dataIndex: 'code',
      width: 120,
      render: (code: string) => <Link to={casePath(code)}>{code}</Link>,
    },
    { title: '案件名称', dataIndex: 'title', ellipsis: true },
    {
      title: '状态',
      dataIndex: 'state',
      width: 90,
      render: (value: string, row) => <Tag color={STATE_COLORS[value]}>{row.stateName}</Tag>,
    },
    {
      title: '地区',
      key: 'region',
      width: 130,
      render: (_, row) => `${row.region} ${row.regionName ?? ''}`,
    },
    { title: '承办人', dataIndex: 'assignee', width: 110, render: (value: string | null) => value ?? '—' },
    { title: '线索', dataIndex: 'clueCount', width: 60 },
    { title: '证据', dataIndex: 'evidenceCount', width: 60 },
    {
      title: '结论',
      key: 'conclusion',
      width: 150,
      render: (_, row) =>
        row.conclusionName
          ? `${row.conclusionName}${row.recoverAmount ? ` ${row.recoverAmount} 元` : ''}`
          : '—',
    },
    {
      title: '立案时间',
      dataIndex: 'openedAt',
      width: 120,
      render: (value: string) => beijingText(value, 'day'),
    },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3}>核查案件</Typography.Title>
      <Card>
        <Space wrap>
          <Select
            aria-label="状态"
            allowClear
            placeholder="全部状态"
            style={{ width: 140 }}
            value={state}
            onChange={(value?: string) => setParams(value ? { state: value } : {})}
            options={CASE_STATE_ORDER.map((value) => ({ value, label: CASE_STATE_NAMES[value] ?? value }))}
          />
          {mayWork ? (
            <Button type="primary" onClick={() => setOpening(true)}>
              立案
            </Button>
          ) : null}
        </Space>
      </Card>
      <ErrorNotice error={cases.error} retry={cases.reload} />
      <div data-testid="cases-table">
        <Table<CaseRow>
          rowKey="code"
          size="small"
          loading={cases.loading}
          columns={columns}
          dataSource={cases.data?.cases ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: '没有核查案件' }}
        />
      </div>
      <Modal
        title="立案"
        open={opening}
        onCancel={() => setOpening(false)}
        onOk={() => form.submit()}
        okText="立案"
        confirmLoading={busy}
        destroyOnClose
      >
        <Form form={form} layout="vertical" onFinish={open} preserve={false}>
          {formError ? <Typography.Text type="danger">{formError}</Typography.Text> : null}
          <Form.Item name="title" label="案件名称" rules={[{ required: true, message: '请填写案件名称' }]}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="fonds" label="全宗" rules={[{ required: true, message: '请选择全宗' }]}>
            <Select
              aria-label="全宗"
              options={(fonds.data ?? []).map((row) => ({
                value: row.code,
                label: `${row.code} ${row.name}`,
              }))}
            />
          </Form.Item>
          <Form.Item name="clues" label="线索编号" extra="由线索立案时填写，逗号分隔；地区取线索的地区">
            <Input />
          </Form.Item>
          <Form.Item name="region" label="地区" extra="人工立案必填：6 位行政区划代码，如 320115">
            <Input maxLength={6} />
          </Form.Item>
          <Form.Item name="reason" label="立案依据" extra="人工立案必填，如举报内容（不得含身份证号）">
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="items" label="证据档案" extra="档号，空格或逗号分隔；立案即冻结">
            <Input.TextArea rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
