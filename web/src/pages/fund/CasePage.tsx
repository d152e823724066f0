import {
  Alert,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  InputNumber,
  List,
  Popconfirm,
  Radio,
  Space,
  Steps,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import type { ApiError } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  assignCase,
  attachToCase,
  CASE_CONCLUSION_NAMES,
  CASE_STATE_NAMES,
  CASE_STATE_ORDER,
  type CaseDetail,
  closeCase,
  concludeCase,
  loadCase,
  noteCase,
  splitList,
} from './case-api';
import { STATE_COLORS } from './CasesPage';

// One 核查案件: where it stands (立案 → 核查中 → 已结论 → 已结案), its evidence (archives held while the
// case is open; a sensitive one without the reader's grant listed by 档号 only), its clues, notes and
// steps; and, for whoever works cases, the step it is ready for: assign, note, attach, conclude, close.

type Evidence = CaseDetail['evidence'][number];

export default function CasePage() {
  const { code = '' } = useParams();
  const shown = useRequest(() => loadCase(code), [code]);
  const { can } = useAuth();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const [items, setItems] = useState('');
  const [assignee, setAssignee] = useState('');
  const [form] = Form.useForm<{
    conclusion: 'violation' | 'no_violation';
    amount?: number;
    reason?: string;
  }>();
  const conclusion = Form.useWatch('conclusion', form) ?? 'violation';

  const step = async (work: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      after?.();
      shown.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const detail = shown.data;
  if (!detail) return <ErrorNotice error={shown.error} retry={shown.reload} />;
  const working = can('case.work') && (detail.state === 'open' || detail.state === 'examining');

  const evidenceColumns: ColumnsType<Evidence> = [
    {
      title: '档号',
      dataIndex: 'archiveCode',
      width: 260,
      render: (value: string | null) =>
        value ? (
          <Link to={itemPath(value)}>{value}</Link>
        ) : (
          <Typography.Text type="secondary">不在您的档案范围内</Typography.Text>
        ),
    },
    {
      title: FIELD_LABELS.title,
      key: 'title',
      ellipsis: true,
      render: (_, row) =>
        row.withheld ? <Tag color="orange">敏感档案，须审批后查阅</Tag> : (row.title ?? '—'),
    },
    {
      title: '附入',
      key: 'via',
      width: 90,
      render: (_, row) => (row.via === 'clue' ? '随线索' : '人工附入'),
    },
    { title: '附入人', dataIndex: 'addedBy', width: 110 },
    {
      title: '时间',
      dataIndex: 'addedAt',
      width: 150,
      render: (value: string) => beijingText(value, 'minute'),
    },
  ];

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3}>
        核查案件 {detail.code} <Tag color={STATE_COLORS[detail.state]}>{detail.stateName}</Tag>
      </Typography.Title>
      <Card>
        <Steps
          size="small"
          current={CASE_STATE_ORDER.indexOf(detail.state)}
          items={CASE_STATE_ORDER.map((state) => ({ title: CASE_STATE_NAMES[state] ?? state }))}
        />
      </Card>
      <ErrorNotice error={error} />
      <Card title="案件">
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} bordered>
          <Descriptions.Item label="案件名称">{detail.title}</Descriptions.Item>
          <Descriptions.Item label="来源">{detail.sourceName}</Descriptions.Item>
          <Descriptions.Item label="立案依据">{detail.sourceReason ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="全宗">{`${detail.fonds} ${detail.fondsName}`}</Descriptions.Item>
          <Descriptions.Item label="地区">{`${detail.region} ${detail.regionName ?? ''}`}</Descriptions.Item>
          <Descriptions.Item label="承办人">{detail.assignee ?? '未指派'}</Descriptions.Item>
          <Descriptions.Item label="立案">{`${detail.openedBy} ${beijingText(detail.openedAt, 'minute')}`}</Descriptions.Item>
          <Descriptions.Item label="线索">
            {detail.clueCount > 0 ? `${detail.clueCount} 条，涉及 ${detail.clueAmount} 元` : '—'}
          </Descriptions.Item>
          <Descriptions.Item label="核查档案">
            {detail.filedCode ? (
              <Link to={itemPath(detail.filedCode)}>{detail.filedCode}</Link>
            ) : (
              '结案时归档'
            )}
          </Descriptions.Item>
          {detail.conclusion ? (
            <>
              <Descriptions.Item label="结论">{detail.conclusionName}</Descriptions.Item>
              <Descriptions.Item label="追回金额">
                {detail.recoverAmount ? `${detail.recoverAmount} 元` : '—'}
              </Descriptions.Item>
              <Descriptions.Item label="结论说明">{detail.conclusionReason ?? '—'}</Descriptions.Item>
            </>
          ) : null}
        </Descriptions>
      </Card>
      {working ? (
        <Card title="指派承办人">
          <Space.Compact style={{ maxWidth: 420, width: '100%' }}>
            <Input
              aria-label="承办人"
              placeholder="承办人账户名"
              value={assignee}
              onChange={(event) => setAssignee(event.target.value)}
            />
            <Button
              loading={busy}
              onClick={() =>
                step(
                  () => assignCase(detail.code, assignee),
                  () => setAssignee(''),
                )
              }
            >
              指派
            </Button>
          </Space.Compact>
        </Card>
      ) : null}
      <Card title={`证据档案（${detail.evidence.length} 件）`}>
        <div data-testid="case-evidence">
          <Table<Evidence>
            rowKey={(row, index) => row.archiveCode ?? `hidden-${index}`}
            size="small"
            columns={evidenceColumns}
            dataSource={detail.evidence}
            pagination={false}
            locale={{ emptyText: '尚无证据档案' }}
          />
        </div>
        {working ? (
          <Space.Compact style={{ marginTop: 12, maxWidth: 640, width: '100%' }}>
            <Input
              aria-label="附入档号"
              placeholder="档号，空格或逗号分隔（附入即冻结）"
              value={items}
              onChange={(event) => setItems(event.target.value)}
            />
            <Button
              loading={busy}
              onClick={() =>
                step(
                  () => attachToCase(detail.code, { items: splitList(items) }),
                  () => setItems(''),
                )
              }
            >
              附入证据
            </Button>
          </Space.Compact>
        ) : null}
        {detail.holds.length > 0 ? (
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            本案冻结：
            {detail.holds
              .map((hold) => `${hold.code}（${hold.fonds}，${hold.lifted ? '已解除' : '冻结中'}）`)
              .join('、')}
          </Typography.Paragraph>
        ) : null}
      </Card>
      {detail.clues.length > 0 ? (
        <Card title="线索">
          <Table
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={detail.clues}
            columns={[
              { title: '线索编号', dataIndex: 'id', width: 100 },
              { title: '规则', key: 'rule', render: (_, row) => `${row.ruleName}（${row.rule}）` },
              { title: '版本', dataIndex: 'ruleVersion', width: 70 },
              { title: '涉及金额（元）', dataIndex: 'amount', width: 130 },
            ]}
          />
        </Card>
      ) : null}
      <Card title="核查记录">
        <List
          data-testid="case-notes"
          size="small"
          dataSource={detail.notes}
          locale={{ emptyText: '尚无核查记录' }}
          renderItem={(row) => (
            <List.Item>
              <Typography.Text type="secondary">{`${beijingText(row.at, 'minute')} ${row.author}：`}</Typography.Text>
              <span style={{ whiteSpace: 'pre-wrap' }}>{row.text}</span>
            </List.Item>
          )}
        />
        {working ? (
          <Space direction="vertical" style={{ width: '100%', marginTop: 12 }}>
            <Input.TextArea
              aria-label="核查记录"
              rows={3}
              maxLength={4000}
              placeholder="核查情况（不得含身份证号）"
              value={note}
              onChange={(event) => setNote(event.target.value)}
            />
            <Button
              loading={busy}
              onClick={() =>
                step(
                  () => noteCase(detail.code, note),
                  () => setNote(''),
                )
              }
            >
              记录
            </Button>
          </Space>
        ) : null}
      </Card>
      {can('case.work') && detail.state === 'examining' ? (
        <Card title="作出结论">
          <Form
            form={form}
            layout="vertical"
            initialValues={{ conclusion: 'violation' }}
            style={{ maxWidth: 560 }}
            onFinish={(values) =>
              step(() =>
                concludeCase(detail.code, {
                  conclusion: values.conclusion,
                  ...(values.conclusion === 'violation' && values.amount !== undefined
                    ? { amount: String(values.amount) }
                    : {}),
                  ...(values.reason ? { reason: values.reason } : {}),
                }),
              )
            }
          >
            <Form.Item name="conclusion" label="结论">
              <Radio.Group
                options={(['violation', 'no_violation'] as const).map((value) => ({
                  value,
                  label: CASE_CONCLUSION_NAMES[value] ?? value,
                }))}
              />
            </Form.Item>
            {conclusion === 'violation' ? (
              <Form.Item
                name="amount"
                label="追回金额（元）"
                extra="至少 0.01 元；超过线索所涉金额须在说明中写明理由"
              >
                <InputNumber aria-label="追回金额" min={0.01} precision={2} style={{ width: 200 }} />
              </Form.Item>
            ) : null}
            <Form.Item
              name="reason"
              label={conclusion === 'violation' ? '结论说明' : '不违规的理由'}
              extra={conclusion === 'violation' ? undefined : '必填，至少4个字'}
            >
              <Input.TextArea aria-label="结论说明" rows={2} maxLength={500} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={busy}>
              作出结论
            </Button>
          </Form>
        </Card>
      ) : null}
      {can('case.work') && detail.state === 'concluded' ? (
        <Alert
          type="info"
          showIcon
          message="结案将把核查档案（PDF）归档为稽核类敏感档案，并解除本案的冻结"
          action={
            <Popconfirm
              title="确认结案？"
              okText="结案"
              cancelText="取消"
              onConfirm={() => step(() => closeCase(detail.code))}
            >
              <Button type="primary" loading={busy}>
                结案
              </Button>
            </Popconfirm>
          }
        />
      ) : null}
      <Card title="办理过程">
        <Timeline
          data-testid="case-steps"
          items={detail.steps.map((row) => ({
            children: `${beijingText(row.at, 'minute')} ${row.actor} ${row.label}`,
          }))}
        />
      </Card>
    </Space>
  );
}
