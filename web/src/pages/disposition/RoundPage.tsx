import {
  Alert,
  Button,
  Card,
  Descriptions,
  Divider,
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

// 鉴定批次: its group, every item with the members' proposals (继续保存 with a new period, or 销毁)
// and the group's decision, which the lead records: for the selected items, or for every undecided
// item at once with the selected ones as exceptions decided otherwise. The versions the page shows go
// with a decision, so a decision someone else took meanwhile is refused, not overwritten. Once items
// are decided 销毁, the register is drawn from them.

type Step = 'propose' | 'decide' | 'decide-all';

interface Choice {
  choice: 'keep' | 'destroy';
  retention?: string;
  reason: string;
}

interface StepValues extends Choice {
  exception?: Choice;
}

const body = (value: Choice) => ({
  retention: value.choice === 'keep' ? value.retention : undefined,
  reason: value.reason,
});

function Opinion({
  kind,
  retention,
  reason,
  who,
}: {
  kind: string | null;
  retention: string | null;
  reason: string | null;
  who: string | null;
}) {
  if (!kind) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
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
  );
}

/** The choice, the new period when kept, and the reason: the fields of a proposal or a decision. */
function ChoiceFields({ prefix, label }: { prefix: string[]; label: string }) {
  const form = Form.useFormInstance();
  const choice = Form.useWatch([...prefix, 'choice'], form);
  const named = (field: string) => [...prefix, field];
  const aria = (text: string) => (prefix.length ? `例外的${text}` : text);
  return (
    <>
      <Form.Item name={named('choice')} label={label}>
        <Radio.Group aria-label={aria(label)} options={optionsOf(PROPOSAL_NAMES)} optionType="button" />
      </Form.Item>
      {choice === 'keep' && (
        <Form.Item
          name={named('retention')}
          label="新的保管期限"
          rules={[{ required: true, message: '请选择新的保管期限' }]}
        >
          <Select aria-label={aria('新的保管期限')} options={optionsOf(RETENTION_NAMES)} />
        </Form.Item>
      )}
      <Form.Item name={named('reason')} label="理由" rules={[{ required: true, message: '请填写理由' }]}>
        <Input.TextArea aria-label={aria('理由')} rows={2} maxLength={500} />
      </Form.Item>
    </>
  );
}

export default function RoundPage() {
  const { code = '' } = useParams();
  const { user, can } = useAuth();
  const navigate = useNavigate();
  const round = useRequest(() => getJson<Round>(appraisalPaths.round(code)), [code]);
  const [selected, setSelected] = useState<string[]>([]);
  const [step, setStep] = useState<Step>();
  const [form] = Form.useForm<StepValues>();
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const data = round.data;
  const items = data?.items ?? [];
  const undecided = items.filter((item) => !item.decision);
  const toDestroy = items.filter((item) => item.decision === 'destroy').length;
  const member = data?.members.some((entry) => entry.username === user?.username) ?? false;
  const lead = data?.lead === user?.username;
  const isOpen = data?.status === 'open';

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

  const versions = (codes: string[]) =>
    Object.fromEntries(
      items
        .filter((item) => codes.includes(item.archiveCode))
        .map((item) => [item.archiveCode, item.version]),
    );

  const submit = (values: StepValues) => {
    if (step === 'propose')
      return run(
        () =>
          postJson(appraisalPaths.propose(code), {
            items: selected,
            proposal: values.choice,
            ...body(values),
          }),
        `已对 ${selected.length} 件提出鉴定意见`,
      );
    if (step === 'decide')
      return run(
        () =>
          postJson(appraisalPaths.decide(code), {
            items: selected,
            decision: values.choice,
            ...body(values),
            versions: versions(selected),
          }),
        `已对 ${selected.length} 件作出鉴定结论`,
      );
    const exception = values.exception;
    return run(
      () =>
        postJson(appraisalPaths.decide(code), {
          decision: values.choice,
          ...body(values),
          exceptions:
            exception && selected.length
              ? selected.map((item) => ({ item, decision: exception.choice, ...body(exception) }))
              : undefined,
          versions: versions(undecided.map((item) => item.archiveCode)),
        }),
      `已对 ${undecided.length} 件作出鉴定结论${selected.length ? `（其中例外 ${selected.length} 件）` : ''}`,
    );
  };

  const draw = () =>
    run(async () => {
      const drawn = await postJson<DrawResult>(registerPaths.list, { round: code });
      navigate(registerPath(drawn.code), { state: { refused: drawn.refused } });
    }, '已编制销毁清册');

  const columns: ColumnsType<RoundItem> = [
    {
      title: FIELD_LABELS.archiveCode,
      dataIndex: 'archiveCode',
      width: 230,
      render: (archiveCode: string) => <Link to={itemPath(archiveCode)}>{archiveCode}</Link>,
    },
    { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
    { title: FIELD_LABELS.year, dataIndex: 'year', width: 70 },
    {
      title: FIELD_LABELS.retention,
      key: 'retention',
      width: 120,
      render: (_, item) => (
        <>
          <div>{RETENTION_NAMES[item.retention] ?? item.retention}</div>
          <Typography.Text type="secondary">
            {item.expiresOn ? `到期 ${item.expiresOn}` : '永久'}
          </Typography.Text>
        </>
      ),
    },
    {
      title: '鉴定意见',
      key: 'proposal',
      width: 190,
      render: (_, item) => (
        <Opinion
          kind={item.proposal}
          retention={item.proposalRetention}
          reason={item.proposalReason}
          who={item.proposedBy}
        />
      ),
    },
    {
      title: '鉴定结论',
      key: 'decision',
      width: 190,
      render: (_, item) => (
        <Opinion
          kind={item.decision}
          retention={item.decisionRetention}
          reason={item.decisionReason}
          who={item.decidedBy}
        />
      ),
    },
  ];

  const open = (next: Step) => {
    setError(undefined);
    form.resetFields();
    form.setFieldsValue({ choice: 'destroy', exception: { choice: 'keep', reason: '' } });
    setStep(next);
  };
  const title =
    step === 'propose'
      ? `对选中的 ${selected.length} 件提出鉴定意见`
      : step === 'decide'
        ? `对选中的 ${selected.length} 件作出鉴定结论`
        : `对未决的 ${undecided.length} 件作出鉴定结论${selected.length ? `，选中的 ${selected.length} 件为例外` : ''}`;

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          鉴定批次 {code}
        </Typography.Title>
      }
      extra={
        toDestroy > 0 && can('appraisal.work') ? (
          <Button type="primary" danger loading={busy && !step} onClick={draw}>
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
            {data.members.map((entry) => `${entry.username}${entry.lead ? '（组长）' : ''}`).join('、')}
          </Descriptions.Item>
          <Descriptions.Item label="开始">
            {beijingText(data.openedAt, 'minute')} {data.openedBy}
          </Descriptions.Item>
          <Descriptions.Item label="件数">
            {data.itemCount} 件：未决 {undecided.length}，销毁 {toDestroy}，继续保存 {data.keep}
          </Descriptions.Item>
        </Descriptions>
      )}
      {member && isOpen && (
        <Space wrap style={{ marginBottom: 16 }}>
          <Button disabled={selected.length === 0} onClick={() => open('propose')}>
            提出意见
          </Button>
          {lead && (
            <>
              <Button disabled={selected.length === 0} onClick={() => open('decide')}>
                决定选中的
              </Button>
              <Button type="primary" disabled={undecided.length === 0} onClick={() => open('decide-all')}>
                {selected.length ? '全部决定（选中的为例外）' : '全部决定'}
              </Button>
            </>
          )}
          {!lead && (
            <Typography.Text type="secondary">鉴定结论由组长 {data?.lead} 代表小组作出</Typography.Text>
          )}
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
          member && isOpen
            ? {
                selectedRowKeys: selected,
                onChange: (keys) => setSelected(keys as string[]),
                getCheckboxProps: (item) => ({ disabled: item.decision !== null }),
              }
            : undefined
        }
        locale={{ emptyText: '本批次还没有档案' }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <Modal
        open={!!step}
        title={title}
        okText={step === 'propose' ? '提出意见' : '作出结论'}
        cancelText="取消"
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setStep(undefined)}
        width={560}
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        <Form form={form} layout="vertical" onFinish={submit}>
          <ChoiceFields prefix={[]} label={step === 'propose' ? '鉴定意见' : '鉴定结论'} />
          {step === 'decide-all' && selected.length > 0 && (
            <>
              <Divider plain>例外：选中的 {selected.length} 件</Divider>
              <ChoiceFields prefix={['exception']} label="鉴定结论" />
            </>
          )}
        </Form>
      </Modal>
    </Card>
  );
}
