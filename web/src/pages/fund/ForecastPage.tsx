import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Typography,
  Upload,
} from 'antd';
import { useState } from 'react';
import { asApiError } from '../../app/hooks';
import { ForecastChart } from './ForecastChart';
import { type Forecast, forecastBuiltIn, forecastFile, SERIES } from './forecast-api';

// 趋势预测: a built-in monthly series of the user's regions (settlements, fund expenditure,
// enrollment) or an uploaded CSV of (月份, 数值), forecast with its backtest: the errors (MAPE, MASE),
// the comparison with the seasonal-naive and naive baselines in words, and the 80%/95% intervals.

const VERDICTS: Record<string, string> = {
  better: '模型更优',
  similar: '相当（差异不显著）',
  worse: '基线更优',
};

const number = (value: number | null, digits = 2) =>
  value === null
    ? '—'
    : value.toLocaleString('zh-CN', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Values {
  series: string;
  region?: string;
  horizon: number;
}

function Result({ forecast }: { forecast: Forecast }) {
  const scores = [
    { key: 'model', role: '模型', ...forecast.backtest.model, verdict: null as string | null },
    ...forecast.backtest.baselines.map((b) => ({ key: b.method, role: '基线', ...b })),
  ];
  return (
    <Card
      title={`${forecast.seriesName}${forecast.region ? `（统筹区 ${forecast.region}）` : ''}`}
      extra={<Typography.Text type="secondary">预测方法：{forecast.methodName}</Typography.Text>}
    >
      <ForecastChart forecast={forecast} />
      <Alert
        style={{ margin: '12px 0' }}
        type={forecast.fellBack ? 'warning' : 'info'}
        title={
          forecast.fellBack ? '模型在回测中不如基线，预测改用基线方法' : `回测后采用：${forecast.methodName}`
        }
        description={
          <ul data-testid="forecast-notes" style={{ margin: 0, paddingInlineStart: 20 }}>
            {forecast.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        }
      />
      <Typography.Title level={5}>
        回测误差（{forecast.backtest.from} 至 {forecast.backtest.to}，{forecast.backtest.origins} 个滚动起点）
      </Typography.Title>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={scores}
        columns={[
          { title: '', dataIndex: 'role', width: 60 },
          { title: '方法', dataIndex: 'name' },
          {
            title: 'MAPE',
            dataIndex: 'mape',
            align: 'right',
            render: (v: number | null) => `${number(v, 1)}%`,
          },
          { title: 'MASE', dataIndex: 'mase', align: 'right', render: (v: number | null) => number(v, 3) },
          { title: '比较', dataIndex: 'verdict', render: (v: string | null) => (v ? VERDICTS[v] : '—') },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        预测值
      </Typography.Title>
      <Table
        size="small"
        rowKey="period"
        pagination={false}
        dataSource={forecast.forecast}
        columns={[
          { title: '月份', dataIndex: 'period' },
          { title: '预测值', dataIndex: 'value', align: 'right', render: (v: number) => number(v) },
          {
            title: '80% 区间',
            align: 'right',
            render: (_: unknown, p: Forecast['forecast'][number]) =>
              `${number(p.lower80)} ～ ${number(p.upper80)}`,
          },
          {
            title: '95% 区间',
            align: 'right',
            render: (_: unknown, p: Forecast['forecast'][number]) =>
              `${number(p.lower95)} ～ ${number(p.upper95)}`,
          },
        ]}
      />
    </Card>
  );
}

export default function ForecastPage() {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [forecast, setForecast] = useState<Forecast | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const run = async (work: () => Promise<Forecast>) => {
    setBusy(true);
    setProblem(null);
    try {
      setForecast(await work());
    } catch (error) {
      setForecast(null);
      setProblem(asApiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const submit = (values: Values) =>
    run(() =>
      forecastBuiltIn({
        series: values.series,
        horizon: values.horizon,
        ...(values.region?.trim() ? { region: values.region.trim() } : {}),
      }),
    );

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card title="趋势预测">
        <Form
          form={form}
          layout="inline"
          initialValues={{ series: 'settlements', horizon: 12 }}
          onFinish={(values) => void submit(values)}
        >
          <Form.Item name="series" label="序列">
            <Select
              style={{ width: 200 }}
              options={SERIES.map((s) => ({ value: s.value, label: s.label }))}
            />
          </Form.Item>
          <Form.Item
            name="region"
            label="统筹区"
            rules={[{ pattern: /^(\d{2}|\d{4}|\d{6})$/, message: '2、4 或 6 位行政区划代码' }]}
          >
            <Input style={{ width: 140 }} placeholder="如 3201，不填为全部" allowClear />
          </Form.Item>
          <Form.Item name="horizon" label="预测月数">
            <InputNumber min={1} max={36} precision={0} style={{ width: 90 }} />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={busy}>
                预测
              </Button>
              <Upload
                accept=".csv,text/csv"
                showUploadList={false}
                beforeUpload={(file) => {
                  const horizon = form.getFieldValue('horizon') ?? 12;
                  if (file.size > 1024 * 1024) message.error('序列文件不应超过 1 MB');
                  else void run(() => forecastFile(file, horizon));
                  return false;
                }}
              >
                <Button disabled={busy}>上传 CSV 序列并预测</Button>
              </Upload>
            </Space>
          </Form.Item>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
          CSV 两列：月份（YYYY-MM）与数值，UTF-8 或 GBK，至少 6 个连续月份。每次预测都在最近 max(预测月数, 12)
          个月上滚动回测，与季节性朴素法（上年同月）和朴素法（上月）比较；不足 24 个月时改用较简单的模型。
        </Typography.Paragraph>
      </Card>
      {problem && (
        <Alert type="error" showIcon title="无法预测" description={problem} data-testid="forecast-error" />
      )}
      {forecast && <Result forecast={forecast} />}
    </Space>
  );
}
