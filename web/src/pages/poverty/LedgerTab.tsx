import { Alert, App, Button, Card, Col, DatePicker, Form, Radio, Row, Select, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, showFieldErrors, useRequest } from '../../app/hooks';
import { LEDGER_KIND_NAMES } from '../../app/labels';
import { LedgerPreview } from './LedgerPreview';
import { LedgerResult } from './LedgerResult';
import {
  fileLedger,
  type LedgerKind,
  type LedgerOrder,
  type MadeLedger,
  type PreviewedLedger,
  previewLedger,
} from './povertyApi';

// 编制台账: the kind decides the period it takes (a cut-off day, a month, or a span of days). A ledger
// is previewed first (made, shown, not filed); filing is a step of its own that files the previewed
// ledger, and its answer carries the cover, the 档号 and both files to save now.

interface Values {
  kind: LedgerKind;
  asOf?: Dayjs | null;
  month?: Dayjs | null;
  range?: [Dayjs | null, Dayjs | null] | null;
  fonds?: string;
}

type PeriodField = 'asOf' | 'month' | 'range';

const PERIOD_FIELD: Record<LedgerKind, PeriodField> = {
  enrollment: 'asOf',
  dynamic: 'month',
  benefits: 'range',
  chronic: 'asOf',
  'two-disease': 'asOf',
};

const KIND_HINTS: Record<LedgerKind, string> = {
  enrollment: '截至某日的参保人员，按身份分列',
  dynamic: '某月新增、减少与身份变动的人员',
  benefits: '一段期间内的医疗费用结算（最多 400 天）',
  chronic: '截至某日持有门诊慢特病认定的人员',
  'two-disease': '截至某日持有高血压、糖尿病门诊用药认定的人员',
};

/** The server compares with the Beijing day; the console runs in China, so the browser's day is it. */
const afterToday = (day: Dayjs) => day.isAfter(dayjs(), 'day');

function orderOf(values: Values): LedgerOrder {
  const kind = values.kind;
  const fonds = values.fonds ? { fonds: values.fonds } : {};
  const field = PERIOD_FIELD[kind];
  if (field === 'month') return { kind, month: values.month?.format('YYYY-MM'), ...fonds };
  if (field === 'range') {
    const [from, to] = values.range ?? [];
    return { kind, from: from?.format('YYYY-MM-DD'), to: to?.format('YYYY-MM-DD'), ...fonds };
  }
  return { kind, asOf: values.asOf?.format('YYYY-MM-DD'), ...fonds };
}

export function LedgerTab({ mayFile }: { mayFile: boolean }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form) ?? 'enrollment';
  const fonds = useRequest(() => unwrap(api.GET('/api/v1/fonds')), []);
  const [making, setMaking] = useState(false);
  const [filing, setFiling] = useState(false);
  const [problem, setProblem] = useState<{ title: string; text: string }>();
  const [previewed, setPreviewed] = useState<{ ledger: PreviewedLedger; order: LedgerOrder }>();
  const [made, setMade] = useState<MadeLedger>();

  const preview = async (values: Values) => {
    const order = orderOf(values);
    setMaking(true);
    setProblem(undefined);
    setMade(undefined);
    try {
      setPreviewed({ ledger: await previewLedger(order), order });
    } catch (reason) {
      const error = asApiError(reason);
      // The period and the fonds are checked by the server; their messages go beside their fields.
      const field =
        error.code === 'LEDGER_PERIOD'
          ? PERIOD_FIELD[values.kind]
          : error.code.startsWith('FONDS_')
            ? 'fonds'
            : null;
      if (field && error.issues.length === 0) form.setFields([{ name: field, errors: [error.message] }]);
      else
        setProblem({
          title: '未编制',
          text: showFieldErrors(form, reason, { from: 'range', to: 'range', asOf: 'asOf', month: 'month' }),
        });
    } finally {
      setMaking(false);
    }
  };

  // Files the ledger previewed, under the order it was previewed with, whatever the form says now.
  const file = async () => {
    if (!previewed) return;
    setFiling(true);
    setProblem(undefined);
    try {
      const ledger = await fileLedger(previewed.order, previewed.ledger.digest);
      setMade(ledger);
      setPreviewed(undefined);
      message.success(`已归档，档号 ${ledger.archiveCode}`);
    } catch (reason) {
      const error = asApiError(reason);
      // The data changed since the preview: what was checked is not what would be filed.
      if (error.code === 'LEDGER_PREVIEW_STALE') setPreviewed(undefined);
      setProblem({ title: '未归档', text: error.message });
    } finally {
      setFiling(false);
    }
  };

  const periodField = PERIOD_FIELD[kind];
  return (
    <>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">
          按参保名册与结算数据编制台账，同时生成 XLSX 与可打印的 PDF。先预览核对（不归档），确认无误后归档，
          作为一件档案归入“医保扶贫台账”。台账含身份证号，归档为敏感档案。
        </Typography.Paragraph>
        {!mayFile && (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            title="归档台账需具有归档权限，您的角色不包含此权限：可以预览，不能归档。"
          />
        )}
        <Form<Values>
          form={form}
          layout="vertical"
          initialValues={{ kind: 'enrollment', asOf: dayjs() }}
          onFinish={preview}
          onValuesChange={() => {
            setProblem(undefined);
            // A preview belongs to the order it was made with.
            setPreviewed(undefined);
          }}
        >
          <Form.Item name="kind" label="台账种类" extra={KIND_HINTS[kind]}>
            <Radio.Group
              optionType="button"
              options={Object.entries(LEDGER_KIND_NAMES).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              {periodField === 'asOf' && (
                <Form.Item
                  name="asOf"
                  label="截至日期"
                  rules={[{ required: true, message: '请选择截至日期' }]}
                >
                  <DatePicker style={{ width: '100%' }} disabledDate={afterToday} />
                </Form.Item>
              )}
              {periodField === 'month' && (
                <Form.Item name="month" label="月份" rules={[{ required: true, message: '请选择月份' }]}>
                  <DatePicker picker="month" style={{ width: '100%' }} disabledDate={afterToday} />
                </Form.Item>
              )}
              {periodField === 'range' && (
                <Form.Item
                  name="range"
                  label="期间"
                  rules={[
                    {
                      validator: (_, value: Values['range']) =>
                        value?.[0] && value[1]
                          ? Promise.resolve()
                          : Promise.reject(new Error('请选择起止日期')),
                    },
                  ]}
                >
                  <DatePicker.RangePicker
                    style={{ width: '100%' }}
                    disabledDate={afterToday}
                    placeholder={['起始日期', '截止日期']}
                  />
                </Form.Item>
              )}
            </Col>
            <Col xs={24} md={8}>
              <Form.Item
                name="fonds"
                label="全宗"
                extra={fonds.error ? fonds.error.message : '只有一个全宗时可不选'}
              >
                <Select
                  allowClear
                  placeholder="归入的全宗"
                  loading={fonds.loading}
                  options={(fonds.data ?? []).map((row) => ({
                    value: row.code,
                    label: `${row.code} ${row.name}`,
                  }))}
                />
              </Form.Item>
            </Col>
          </Row>
          {problem && (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 12 }}
              title={problem.title}
              description={problem.text}
            />
          )}
          <Button type="primary" htmlType="submit" loading={making}>
            预览
          </Button>
        </Form>
      </Card>
      {previewed && (
        <LedgerPreview
          key={previewed.ledger.digest}
          previewed={previewed.ledger}
          mayFile={mayFile}
          filing={filing}
          onFile={() => void file()}
        />
      )}
      {made && <LedgerResult key={made.archiveCode} made={made} />}
    </>
  );
}
