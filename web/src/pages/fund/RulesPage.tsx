import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Progress,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ClueDrawer } from './ClueDrawer';
import {
  CLUE_STATE_NAMES,
  changeRule,
  listClues,
  listRules,
  listRuns,
  paramText,
  RUN_STATE_NAMES,
  type ClueRow,
  type Rule,
  type Run,
  startRun,
} from './rule-api';

// 规则与线索: the twelve audit rules with their descriptions and parameters (changed with a reason by a
// fund.rules holder), runs over a region and a settlement period with their progress per rule (a job;
// the page polls while one is under way), and the clues, filtered by run, rule and state, each opened
// with its evidence and linked archives.

interface RunValues {
  region?: string;
  from: string;
  to: string;
}

export default function RulesPage() {
  const { can } = useAuth();
  const mayChange = can('fund.rules');
  const rules = useRequest(() => listRules(), []);
  const runs = useRequest(() => listRuns(), []);
  const [params, setParams] = useSearchParams();
  const filter = {
    run: params.get('run') ?? '',
    rule: params.get('rule') ?? '',
    state: params.get('state') ?? '',
  };
  const clues = useRequest(
    () =>
      listClues({
        ...(filter.run ? { run: Number(filter.run) } : {}),
        ...(filter.rule ? { rule: filter.rule } : {}),
        ...(filter.state ? { state: filter.state } : {}),
        limit: 200,
      }),
    [filter.run, filter.rule, filter.state],
  );
  const [editing, setEditing] = useState<Rule>();
  const [opened, setOpened] = useState<number>();
  const [runForm] = Form.useForm<RunValues>();
  const [runError, setRunError] = useState<string>();
  const [starting, setStarting] = useState(false);
  const busy = (runs.data?.runs ?? []).some((run) => run.state === 'queued' || run.state === 'running');

  // While a run is under way its progress is polled; when it ends the clues are read again.
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => runs.reload(), 2000);
    return () => {
      clearInterval(timer);
      clues.reload();
    };
  }, [busy, runs.reload, clues.reload]);

  const setFilter = (name: string, value?: string | number) => {
    const next = new URLSearchParams(params);
    if (value === undefined || value === '') next.delete(name);
    else next.set(name, String(value));
    setParams(next);
  };

  const start = async (values: RunValues) => {
    setStarting(true);
    setRunError(undefined);
    try {
      const run = await startRun({
        from: values.from,
        to: values.to,
        ...(values.region ? { region: values.region } : {}),
      });
      runs.reload();
      setFilter('run', run.id);
    } catch (caught) {
      setRunError(showFieldErrors(runForm, caught));
    } finally {
      setStarting(false);
    }
  };

  const ruleColumns: ColumnsType<Rule> = [
    { title: '规则', key: 'name', width: 150, render: (_, rule) => `${rule.name}` },
    { title: '代码', dataIndex: 'code', width: 150 },
    {
      title: '状态',
      dataIndex: 'active',
      width: 80,
      render: (active: boolean) => <Tag color={active ? 'green' : 'default'}>{active ? '启用' : '停用'}</Tag>,
    },
    { title: '版本', dataIndex: 'version', width: 60 },
    {
      title: '参数',
      key: 'params',
      render: (_, rule) =>
        rule.params.map((param) => `${param.label} ${paramText(param.value)}`).join('；') || '无参数',
    },
    ...(mayChange
      ? [
          {
            title: '',
            key: 'edit',
            width: 70,
            render: (_: unknown, rule: Rule) => (
              <Button size="small" onClick={() => setEditing(rule)} aria-label={`修改${rule.name}`}>
                修改
              </Button>
            ),
          },
        ]
      : []),
  ];

  const runColumns: ColumnsType<Run> = [
    { title: '编号', dataIndex: 'id', width: 60 },
    { title: '地区', dataIndex: 'region', width: 80, render: (region: string) => region || '全部' },
    { title: '结算期间', key: 'period', width: 190, render: (_, run) => `${run.from} 至 ${run.to}` },
    {
      title: '进度',
      key: 'progress',
      render: (_, run) => (
        <Space>
          <Tag>{RUN_STATE_NAMES[run.state] ?? run.state}</Tag>
          <Progress
            percent={Math.round((run.done / Math.max(run.rules.length, 1)) * 100)}
            size="small"
            style={{ width: 120 }}
            status={run.state === 'failed' ? 'exception' : undefined}
          />
          <span>
            {run.done}/{run.rules.length} 条规则
          </span>
        </Space>
      ),
    },
    { title: '线索', dataIndex: 'clues', width: 60 },
    { title: '开始', dataIndex: 'startedAt', width: 150, render: (value: string) => beijingText(value) },
    {
      title: '',
      key: 'show',
      width: 90,
      render: (_, run) => (
        <Button size="small" type="link" onClick={() => setFilter('run', run.id)}>
          查看线索
        </Button>
      ),
    },
  ];

  const clueColumns: ColumnsType<ClueRow> = [
    {
      title: '编号',
      dataIndex: 'id',
      width: 70,
      render: (id: number) => (
        <Button type="link" size="small" onClick={() => setOpened(id)}>
          {id}
        </Button>
      ),
    },
    { title: '规则', dataIndex: 'ruleName', width: 110 },
    { title: '结算流水号', key: 'serials', render: (_, clue) => clue.serials.join('、') },
    { title: '参保人', dataIndex: 'person', width: 110 },
    { title: '机构', dataIndex: 'institutionCode', width: 110 },
    { title: '疑点金额', dataIndex: 'amount', width: 100, align: 'right' },
    {
      title: '状态',
      dataIndex: 'state',
      width: 80,
      render: (state: string) => <Tag>{CLUE_STATE_NAMES[state] ?? state}</Tag>,
    },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3}>规则与线索</Typography.Title>
      <Card title="智能审核规则">
        <ErrorNotice error={rules.error} retry={rules.reload} />
        <div data-testid="rule-table">
          <Table
            size="small"
            rowKey="code"
            loading={rules.loading}
            pagination={false}
            dataSource={rules.data?.rules ?? []}
            columns={ruleColumns}
            expandable={{
              expandedRowRender: (rule) => <Typography.Paragraph>{rule.description}</Typography.Paragraph>,
            }}
          />
        </div>
      </Card>
      <Card title="审核运行">
        {mayChange ? (
          <Form form={runForm} layout="inline" onFinish={start} style={{ marginBottom: 16 }}>
            <Form.Item name="region" label="地区">
              <Input placeholder="如 320115，不填为您的地区" style={{ width: 200 }} maxLength={6} />
            </Form.Item>
            <Form.Item name="from" label="结算日期" rules={[{ required: true, message: '请填写起始日期' }]}>
              <Input placeholder="2026-01-01" style={{ width: 120 }} maxLength={10} />
            </Form.Item>
            <Form.Item name="to" label="至" rules={[{ required: true, message: '请填写截止日期' }]}>
              <Input placeholder="2026-12-31" style={{ width: 120 }} maxLength={10} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={starting}>
              开始审核
            </Button>
          </Form>
        ) : null}
        {runError ? <Alert type="error" message={runError} showIcon style={{ marginBottom: 16 }} /> : null}
        <ErrorNotice error={runs.error} retry={runs.reload} />
        <div data-testid="run-table">
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={runs.data?.runs ?? []}
            columns={runColumns}
          />
        </div>
      </Card>
      <Card title="线索">
        <Space wrap style={{ marginBottom: 16 }}>
          <Select
            aria-label="审核运行"
            allowClear
            placeholder="全部运行"
            style={{ width: 140 }}
            value={filter.run || undefined}
            onChange={(value?: string) => setFilter('run', value)}
            options={(runs.data?.runs ?? []).map((run) => ({
              value: String(run.id),
              label: `运行 ${run.id}`,
            }))}
          />
          <Select
            aria-label="规则"
            allowClear
            placeholder="全部规则"
            style={{ width: 160 }}
            value={filter.rule || undefined}
            onChange={(value?: string) => setFilter('rule', value)}
            options={(rules.data?.rules ?? []).map((rule) => ({ value: rule.code, label: rule.name }))}
          />
          <Select
            aria-label="状态"
            allowClear
            placeholder="全部状态"
            style={{ width: 120 }}
            value={filter.state || undefined}
            onChange={(value?: string) => setFilter('state', value)}
            options={Object.entries(CLUE_STATE_NAMES).map(([value, label]) => ({ value, label }))}
          />
        </Space>
        <ErrorNotice error={clues.error} retry={clues.reload} />
        <div data-testid="clue-table">
          <Table
            size="small"
            rowKey="id"
            loading={clues.loading}
            dataSource={clues.data?.clues ?? []}
            columns={clueColumns}
            pagination={{ pageSize: 20 }}
          />
        </div>
      </Card>
      {editing ? (
        <RuleEditor
          rule={editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            rules.reload();
          }}
        />
      ) : null}
      {opened !== undefined ? (
        <ClueDrawer id={opened} onClose={() => setOpened(undefined)} onChanged={() => clues.reload()} />
      ) : null}
    </Space>
  );
}

/** Turning a rule on or off and changing its parameters, with a reason (the version goes up). */
function RuleEditor({ rule, onClose, onSaved }: { rule: Rule; onClose: () => void; onSaved: () => void }) {
  const [form] = Form.useForm<Record<string, unknown>>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const save = async (values: Record<string, unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      const params = Object.fromEntries(
        rule.params.map((param) => {
          const value = values[`param.${param.name}`];
          return [
            param.name,
            param.kind === 'icdList'
              ? String(value ?? '')
                  .split(/[,，、\s]+/)
                  .filter(Boolean)
              : value,
          ];
        }),
      );
      await changeRule(rule.code, {
        active: values.active as boolean,
        ...(rule.params.length > 0 ? { params } : {}),
        reason: String(values.reason ?? ''),
        version: rule.version,
      });
      onSaved();
    } catch (caught) {
      setError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open title={`修改规则：${rule.name}`} onCancel={onClose} footer={null} width={640}>
      <Typography.Paragraph type="secondary">{rule.description}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{
          active: rule.active,
          ...Object.fromEntries(
            rule.params.map((param) => [
              `param.${param.name}`,
              param.kind === 'icdList' ? paramText(param.value) : param.value,
            ]),
          ),
        }}
      >
        <Form.Item name="active" label="启用" valuePropName="checked">
          <Switch />
        </Form.Item>
        {rule.params.map((param) =>
          param.kind === 'icdList' ? (
            <Form.Item
              key={param.name}
              name={`param.${param.name}`}
              label={`${param.label}（ICD-10 前缀，逗号分隔，${param.minItems}～${param.maxItems} 项）`}
            >
              <Input.TextArea autoSize />
            </Form.Item>
          ) : (
            <Form.Item
              key={param.name}
              name={`param.${param.name}`}
              label={`${param.label}（${param.min}～${param.max}）`}
            >
              <InputNumber step={param.kind === 'integer' ? 1 : 0.05} style={{ width: 160 }} />
            </Form.Item>
          ),
        )}
        <Form.Item
          name="reason"
          label="修改理由"
          rules={[{ required: true, min: 4, message: '至少 4 个字' }]}
        >
          <Input maxLength={500} />
        </Form.Item>
        {error ? <Alert type="error" message={error} showIcon style={{ marginBottom: 16 }} /> : null}
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            保存
          </Button>
          <Button onClick={onClose}>取消</Button>
        </Space>
      </Form>
    </Modal>
  );
}
