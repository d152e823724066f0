import { UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  Progress,
  Select,
  Space,
  Table,
  Tag,
  Typography,
  Upload,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { fetchBlob, uploadWithProgress } from '../../api/client';
import { useAuth } from '../../app/auth';
import { asApiError, useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  importPath,
  loadSettlements,
  type SettlementFilter,
  type SettlementImport,
  type SettlementRow,
  settlementPath,
} from './settlement-api';

// 结算数据: upload an extract (CSV in GBK or UTF-8, or XLSX; one row per detail line with the header
// repeated) and see its report row by row; below, the settlements within the caller's regions with
// filters, the person masked. A settlement opens with its lines and the archives filed for it.

interface Values {
  region?: string;
  institution?: string;
  idNumber?: string;
  visitType?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

const formOf = (file: File) => {
  const form = new FormData();
  form.append('file', file, file.name);
  return form;
};

function ImportCard({ onImported }: { onImported: () => void }) {
  const { message } = App.useApp();
  const [file, setFile] = useState<File>();
  const [encoding, setEncoding] = useState<string>('');
  const [percent, setPercent] = useState<number>();
  const [problem, setProblem] = useState<string>();
  const [report, setReport] = useState<{ answer: SettlementImport; file: File }>();

  const run = async () => {
    if (!file) {
      setProblem('请先选择要导入的 CSV 或 XLSX 文件');
      return;
    }
    setProblem(undefined);
    setReport(undefined);
    setPercent(0);
    try {
      const answer = await uploadWithProgress<SettlementImport>(
        importPath(encoding),
        formOf(file),
        setPercent,
      );
      setReport({ answer, file });
      onImported();
      message.success(`导入完成：导入 ${answer.imported} 笔，未导入 ${answer.refused} 笔`);
    } catch (reason) {
      setProblem(asApiError(reason).message);
    } finally {
      setPercent(undefined);
    }
  };

  const download = async () => {
    if (!report) return;
    try {
      // The same file again: the server skips what this import already wrote and answers the report.
      const blob = await fetchBlob(importPath(encoding, 'xlsx'), {
        method: 'POST',
        body: formOf(report.file),
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${report.file.name.replace(/\.[^.]*$/, '')}.结算导入报告.xlsx`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (reason) {
      message.error(asApiError(reason).message);
    }
  };

  return (
    <Card size="small" title="导入结算数据" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        每行一条明细，结算清单表头（结算流水号、身份证号、统筹区、定点医药机构、医疗类别、入出院日期、诊断编码、费用）在每行重复；
        有误的行逐行列出原因，整笔结算不导入。同一文件再次导入时，已写入的结算跳过。
      </Typography.Paragraph>
      <Space wrap>
        <Upload
          accept=".csv,.xlsx"
          maxCount={1}
          showUploadList={false}
          beforeUpload={(chosen) => {
            setFile(chosen);
            return false;
          }}
        >
          <Button icon={<UploadOutlined />}>选择文件</Button>
        </Upload>
        <Typography.Text data-testid="chosen-file">{file ? file.name : '未选择文件'}</Typography.Text>
        <Select
          aria-label="编码"
          style={{ width: 160 }}
          value={encoding}
          onChange={setEncoding}
          options={[
            { value: '', label: '自动识别编码' },
            { value: 'gbk', label: 'GBK' },
            { value: 'utf8', label: 'UTF-8' },
          ]}
        />
        <Button type="primary" onClick={run} loading={percent !== undefined}>
          开始导入
        </Button>
      </Space>
      {percent !== undefined && <Progress percent={percent} size="small" />}
      {problem && <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} />}
      {report && (
        <div data-testid="import-report" style={{ marginTop: 12 }}>
          <Space wrap style={{ marginBottom: 8 }}>
            <Tag color="blue">导入批次 {report.answer.importId}</Tag>
            <span>
              {report.answer.rows} 行、{report.answer.settlements} 笔结算：导入 {report.answer.imported}{' '}
              笔，跳过 {report.answer.skipped} 笔，未导入 {report.answer.refused} 笔
            </span>
            <Button size="small" onClick={download}>
              下载导入报告
            </Button>
          </Space>
          {report.answer.refusedRows.length > 0 && (
            <Table
              size="small"
              rowKey={(row) => `${row.row}-${row.field}-${row.code}`}
              dataSource={report.answer.refusedRows}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              columns={[
                { title: '行号', dataIndex: 'row', width: 70 },
                { title: '结算流水号', dataIndex: 'serial', width: 180 },
                { title: '原因', dataIndex: 'message' },
              ]}
            />
          )}
        </div>
      )}
    </Card>
  );
}

const COLUMNS: ColumnsType<SettlementRow> = [
  {
    title: '结算流水号',
    dataIndex: 'serial',
    render: (serial: string) => <Link to={settlementPath(serial)}>{serial}</Link>,
  },
  { title: '参保人', render: (_, row) => row.person.idNumber },
  { title: '统筹区', dataIndex: 'region', width: 76 },
  {
    title: '定点医药机构',
    render: (_, row) => `${row.institution.name}（${row.institution.level}）`,
    ellipsis: true,
  },
  { title: '类别', dataIndex: 'visitType', width: 60 },
  { title: '入院', dataIndex: 'admitDate', width: 104 },
  { title: '出院', dataIndex: 'dischargeDate', width: 104 },
  { title: '主要诊断', dataIndex: 'primaryDx', width: 100 },
  { title: '总费用', dataIndex: 'totalCost', align: 'right', width: 96 },
  { title: '基金支付', dataIndex: 'fundPaid', align: 'right', width: 96 },
];

export default function SettlementsPage() {
  const { can } = useAuth();
  const [form] = Form.useForm<Values>();
  const [filter, setFilter] = useState<SettlementFilter>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const page = useRequest(() => loadSettlements(filter), [JSON.stringify(filter)]);

  const search = (values: Values) => {
    setCursors([]);
    const next: SettlementFilter = {
      region: values.region?.trim() || undefined,
      institution: values.institution?.trim() || undefined,
      idNumber: values.idNumber?.trim() || undefined,
      visitType: values.visitType || undefined,
      from: values.range?.[0]?.format('YYYY-MM-DD'),
      to: values.range?.[1]?.format('YYYY-MM-DD'),
    };
    // The same filter asked again reads the list again (an import may have added to it).
    if (JSON.stringify(next) === JSON.stringify(filter)) page.reload();
    else setFilter(next);
  };

  return (
    <>
      <Typography.Title level={3}>结算数据</Typography.Title>
      {can('fund.import') && <ImportCard onImported={() => page.reload()} />}
      <Card size="small">
        <Form form={form} layout="inline" onFinish={search} style={{ marginBottom: 12, rowGap: 8 }}>
          <Form.Item name="region" label="统筹区">
            <Input placeholder="如 320115" style={{ width: 110 }} allowClear />
          </Form.Item>
          <Form.Item name="institution" label="机构编码">
            <Input style={{ width: 150 }} allowClear />
          </Form.Item>
          <Form.Item name="idNumber" label="身份证号">
            <Input style={{ width: 190 }} allowClear autoComplete="off" />
          </Form.Item>
          <Form.Item name="visitType" label="类别">
            <Select
              style={{ width: 90 }}
              allowClear
              options={[
                { value: '门诊', label: '门诊' },
                { value: '住院', label: '住院' },
              ]}
            />
          </Form.Item>
          <Form.Item name="range" label="结算日期">
            <DatePicker.RangePicker />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              查询
            </Button>
          </Form.Item>
        </Form>
        {page.error ? (
          <ErrorNotice error={page.error} retry={page.reload} />
        ) : (
          <>
            <div data-testid="settlement-table">
              <Table
                size="small"
                rowKey="serial"
                loading={page.loading}
                columns={COLUMNS}
                dataSource={page.data?.settlements ?? []}
                pagination={false}
                locale={{ emptyText: '没有符合条件的结算记录' }}
              />
            </div>
            <Space style={{ marginTop: 12 }}>
              <Button
                disabled={cursors.length === 0}
                onClick={() => {
                  const previous = cursors.slice(0, -1);
                  setCursors(previous);
                  setFilter({ ...filter, cursor: previous.at(-1) });
                }}
              >
                上一页
              </Button>
              <Button
                disabled={!page.data?.nextCursor}
                onClick={() => {
                  const next = page.data?.nextCursor ?? undefined;
                  if (!next) return;
                  setCursors([...cursors, next]);
                  setFilter({ ...filter, cursor: next });
                }}
              >
                下一页
              </Button>
            </Space>
          </>
        )}
      </Card>
    </>
  );
}
