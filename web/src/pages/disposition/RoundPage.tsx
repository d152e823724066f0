import {
  Alert,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { ApiError } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { optionsOf, RETENTION_NAMES } from '../filing/catalog';
import { appraisalPaths, type Round, type RoundItem, registerPath } from './appraisalView';
import { type DrawResult, registerPaths } from './destructionView';
import { getJson, postJson } from './dispositionApi';
import { PROPOSAL_NAMES, ROUND_STATE_NAMES } from './names';

// 鉴定批次: its group, every item with the proposal (继续保存 with a new period, or 销毁) and the
// group's decision. Proposals and decisions are taken for the selected items, or decisions for every
// undecided item but the selected ones (the exceptions). Two members deciding one item at once: the
// server keeps the first and tells the second. Once items are decided 销毁, a register is drawn.

type Step = 'propose' | 'decide' | 'decide-rest';

interface StepValues {
  choice: string;
  retention?: string;
  reason: string;
}

const opinion = (kind: string | null, retention: string | null, reason: string | null, who: string | null) =>
  kind ? (
    <>
      <Tag color={kind === 'destroy' ? 'red' : 'green'}>
        {PROPOSAL_NAMES[kind] ?? kind}
        {kind === 'keep' && retention ? ` · ${RETENTION_NAMES[retention] ?? retention}` : ''}
      </Tag>
      <div>
        <Typography.Text type="secondary">
          {reason}
          {who ? `（${who}）` : ''}
        </Typography.Text>
      </div>
    </>
  ) : (
    <Typography.Text type="secondary">—</Typography.Text>
  );

export default function RoundPage() {
  const { code = '' } = useParams();
  const { user, can } = useAuth();
  const navigate = useNavigate();
  const round = useRequest(() => getJson<Round>(appraisalPaths.round(code)), [code]);
  const [selected, setSelected] = useState<string[]>([]);
  const [step, setStep] = useState<Step>();
  const [form] = Form.useForm<StepValues>();
  const choice = Form.useWatch('choice', form);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const items = round.data?.items ?? [];
  const undecided = items.filter((item) => !item.decision);
  const rest = undecided.filter((item) => !selected.includes(item.archiveCode));
  const toDestroy = items.filter((item) => item.decision === 'destroy').length;
  const member = round.data?.members.some((entry) => entry.username === user?.username) ?? false;

  const run = async (work: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setDone(message);
      setStep(undefined);
      setSelected([]);
      round.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const submit = (values: StepValues) => {
    const opinionBody = {
      retention: values.choice === 'keep' ? values.retention : undefined,
      reason: values.reason,
    };
    if (step === 'propose') {
      const body = { items: selected, proposal: values.choice, ...opinionBody };
      return run(
        () => postJson(appraisalPaths.propose(code), body),
        `已对 ${selected.length} 件提出鉴定意见`,
      );
    }
    const targets = step === 'decide' ? selected : rest.map((item) => item.archiveCode);
    const body =
      step === 'decide'
        ? { items: selected, decision: values.choice, ...opinionBody }
        : { all: true, except: selected, decision: values.choice, ...opinionBody };
    return run(() => postJson(appraisalPaths.decide(code), body), `已对 ${targets.length} 件作出鉴定决定`);
  };

  const draw = () =>
    run(async () => {
      const drawn = await postJson<DrawResult>(registerPaths.list, { round: code });
      navigate(registerPath(drawn.code), { state: { refused: drawn.refused } });
    }, '已编制销毁清册');

  const columns: ColumnsType<RoundItem> = [
    {
      title: '档号',
      dataIndex: 'archiveCode',
      width: 230,
      render: (archiveCode: string) => <Link to={itemPath(archiveCode)}>{archiveCode}</Link>,
    },
    { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
    { title: '年度', dataIndex: 'year', width: 70 },
    {
      title: '保管期限',
      key: 'retention',
      width: 110,
      render: (_, item) => (
        <>
          <div>{RETENTION_NAMES[item.retention] ?? item.retention}</div>
          <Typography.Text type="secondary">到期 {item.expiresOn ?? '—'}</Typography.Text>
        </>
      ),
    },
    {
      title: '鉴定意见',
      key: 'proposal',
      width: 200,
      render: (_, item) =>
        opinion(item.proposal, item.proposalRetention, item.proposalReason, item.proposedBy),
    },
    {
      title: '鉴定决定',
      key: 'decision',
      width: 200,
      render: (_, item) =>
        opinion(item.decision, item.decisionRetention, item.decisionReason, item.decidedBy),
    },
  ];

  const open = (next: Step) => {
    setError(undefined);
    form.resetFields();
    setStep(next);
  };
  const data = round.data;
  const title =
    step === 'propose'
      ? `对选中的 ${selected.length} 件提出鉴定意见`
      : step === 'decide'
        ? `对选中的 ${selected.length} 件作出决定`
        : `对其余未决定的 ${rest.length} 件作出决定${selected.length ? `（除选中的 ${selected.length} 件）` : ''}`;

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          鉴定批次 {code}
        </Typography.Title>
      }
      extra={
        toDestroy > 0 && can('appraisal.work') ? (
          <Button type="primary" danger loading={busy} onClick={draw}>
            编制销毁清册（{toDestroy} 件）
          </Button>
        ) : null
      }
    >
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      {error && !step && <Alert type="error" showIcon style={{ marginBottom: 16 }} message={error.message} />}
      <ErrorNotice error={round.error} retry={round.reload} />
      {data && (
        <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
          <Descriptions.Item label="批次名称">{data.title}</Descriptions.Item>
          <Descriptions.Item label="全宗">{data.fonds}</Descriptions.Item>
          <Descriptions.Item label="状态">{ROUND_STATE_NAMES[data.status] ?? data.status}</Descriptions.Item>
          <Descriptions.Item label="鉴定小组">
            {data.members.map((entry) => `${entry.username}${entry.isLead ? '（组长）' : ''}`).join('、')}
          </Descriptions.Item>
          <Descriptions.Item label="开始">
            {beijingText(data.openedAt, 'minute')} {data.openedBy}
          </Descriptions.Item>
          <Descriptions.Item label="件数">
            {items.length} 件，未决定 {undecided.length} 件，决定销毁 {toDestroy} 件
          </Descriptions.Item>
        </Descriptions>
      )}
      {member && data?.status === 'open' && (
        <Space wrap style={{ marginBottom: 16 }}>
          <Button disabled={selected.length === 0} onClick={() => open('propose')}>
            提出意见
          </Button>
          <Button disabled={selected.length === 0} onClick={() => open('decide')}>
            决定选中的
          </Button>
          <Button type="primary" disabled={rest.length === 0} onClick={() => open('decide-rest')}>
            {selected.length ? '决定其余的（选中的除外）' : '全部决定'}
          </Button>
        </Space>
      )}
      <Table
        data-testid="round-items-table"
        rowKey="archiveCode"
        size="middle"
        loading={round.loading}
        columns={columns}
        dataSource={items}
        rowSelection={
          member
            ? {
                selectedRowKeys: selected,
                onChange: (keys) => setSelected(keys as string[]),
                getCheckboxProps: (item) => ({ name: item.archiveCode }),
              }
            : undefined
        }
        locale={{ emptyText: '本批次还没有档案' }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <Modal
        open={!!step}
        title={title}
        okText={step === 'propose' ? '提出意见' : '作出决定'}
        cancelText="取消"
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setStep(undefined)}
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ choice: 'destroy' }}>
          <Form.Item name="choice" label={step === 'propose' ? '鉴定意见' : '鉴定决定'}>
            <Radio.Group options={optionsOf(PROPOSAL_NAMES)} optionType="button" />
          </Form.Item>
          {choice === 'keep' && (
            <Form.Item
              name="retention"
              label="新的保管期限"
              rules={[{ required: true, message: '请选择新的保管期限' }]}
            >
              <Select aria-label="新的保管期限" options={optionsOf(RETENTION_NAMES)} />
            </Form.Item>
          )}
          <Form.Item name="reason" label="理由" rules={[{ required: true, message: '请填写理由' }]}>
            <Input.TextArea aria-label="理由" rows={3} maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
