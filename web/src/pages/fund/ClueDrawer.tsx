import { Alert, Button, Descriptions, Drawer, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { showFieldErrors, useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CLUE_STATE_NAMES, dismissClue, loadClue } from './rule-api';

// One 线索: its rule, version and parameters, the explanation, the settlements and the lines behind
// the hit, the archive items filed for those settlements (masked; a sensitive one without a grant
// listed by 档号 only), and — while open — dismissing it with a reason.

interface Evidence {
  summary?: string;
  settlements?: Array<Record<string, string | number | string[] | null>>;
  lines?: Array<Record<string, string | number | null>>;
}

const text = (value: unknown) => (value === null || value === undefined ? '—' : String(value));

export function ClueDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: number;
  onClose: () => void;
  onChanged: () => void;
}) {
  const clue = useRequest(() => loadClue(id), [id]);
  const { can } = useAuth();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string>();
  const data = clue.data;
  const evidence = (data?.evidence ?? {}) as Evidence;

  const dismiss = async ({ reason }: { reason: string }) => {
    setBusy(true);
    setFormError(undefined);
    try {
      await dismissClue(id, reason);
      form.resetFields();
      clue.reload();
      onChanged();
    } catch (caught) {
      setFormError(showFieldErrors(form, caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer open width={900} title={`线索 ${id}`} onClose={onClose} data-testid="clue-drawer">
      <ErrorNotice error={clue.error} retry={clue.reload} />
      {data ? (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Descriptions size="small" column={2} bordered>
            <Descriptions.Item label="规则">
              {data.ruleName}（{data.rule}，第 {data.ruleVersion} 版）
            </Descriptions.Item>
            <Descriptions.Item label="状态">
              <Tag>{CLUE_STATE_NAMES[data.state] ?? data.state}</Tag>
              {data.caseCode ? (
                <Link to={`/fund/cases/${encodeURIComponent(data.caseCode)}`}>{data.caseCode}</Link>
              ) : null}
            </Descriptions.Item>
            <Descriptions.Item label="参保人">{data.person ?? '—'}</Descriptions.Item>
            <Descriptions.Item label="疑点金额">{data.amount} 元</Descriptions.Item>
            <Descriptions.Item label="参数" span={2}>
              {Object.entries(data.params)
                .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : value}`)
                .join('；') || '无'}
            </Descriptions.Item>
            <Descriptions.Item label="说明" span={2}>
              {evidence.summary ?? ''}
            </Descriptions.Item>
            {data.dismissReason ? (
              <Descriptions.Item label="排除理由" span={2}>
                {data.dismissReason}
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          <Typography.Title level={5}>结算</Typography.Title>
          <Table
            size="small"
            rowKey={(row) => text(row.serial)}
            pagination={false}
            dataSource={evidence.settlements ?? []}
            columns={[
              { title: '结算流水号', dataIndex: 'serial' },
              { title: '机构', dataIndex: 'institutionName' },
              { title: '类别', dataIndex: 'visitType', width: 60 },
              { title: '入院', dataIndex: 'admitDate', width: 105 },
              { title: '出院', dataIndex: 'dischargeDate', width: 105 },
              { title: '主诊断', dataIndex: 'primaryDx', width: 80 },
              { title: '基金支付', dataIndex: 'fundPaid', width: 90, render: text },
            ]}
          />
          {(evidence.lines ?? []).length > 0 ? (
            <>
              <Typography.Title level={5}>明细</Typography.Title>
              <Table
                size="small"
                data-testid="clue-lines"
                rowKey={(row) => `${text(row.serial)}-${text(row.lineNo)}`}
                pagination={false}
                dataSource={evidence.lines ?? []}
                columns={[
                  { title: '结算流水号', dataIndex: 'serial' },
                  { title: '行', dataIndex: 'lineNo', width: 50 },
                  { title: '日期', dataIndex: 'date', width: 105 },
                  {
                    title: '项目',
                    key: 'item',
                    render: (_, row) => `${text(row.itemCode)} ${text(row.itemName)}`,
                  },
                  { title: '数量', dataIndex: 'quantity', width: 70, render: text },
                  { title: '金额', dataIndex: 'amount', width: 80, render: text },
                  { title: '用药天数', dataIndex: 'daysSupply', width: 80, render: text },
                ]}
              />
            </>
          ) : null}
          <Typography.Title level={5}>关联档案</Typography.Title>
          {data.archives.length === 0 ? (
            <Typography.Text type="secondary">没有按结算流水号归档的档案（或不在您的范围内）</Typography.Text>
          ) : (
            <Table
              size="small"
              data-testid="clue-archives"
              rowKey="archiveCode"
              pagination={false}
              dataSource={data.archives}
              columns={[
                { title: '结算流水号', dataIndex: 'serial' },
                {
                  title: '档号',
                  dataIndex: 'archiveCode',
                  render: (code: string) => <Link to={itemPath(code)}>{code}</Link>,
                },
                { title: '类别', dataIndex: 'categoryName' },
                {
                  title: FIELD_LABELS.title,
                  key: 'title',
                  render: (_, row) => (row.withheld ? '（敏感档案，未获授权）' : row.title),
                },
              ]}
            />
          )}
          {data.state === 'open' && can('case.work') ? (
            <Form form={form} layout="inline" onFinish={dismiss}>
              <Form.Item
                name="reason"
                label="排除理由"
                rules={[{ required: true, min: 4, message: '至少 4 个字' }]}
              >
                <Input style={{ width: 360 }} maxLength={500} />
              </Form.Item>
              <Button htmlType="submit" loading={busy}>
                排除线索
              </Button>
              {formError ? <Alert type="error" message={formError} showIcon /> : null}
            </Form>
          ) : null}
        </Space>
      ) : null}
    </Drawer>
  );
}
