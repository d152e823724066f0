import { InboxOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Form,
  Progress,
  Space,
  Table,
  Typography,
  Upload,
} from 'antd';
import { useState } from 'react';
import { uploadWithProgress } from '../../api/client';
import { asApiError } from '../../app/hooks';
import { viewOf } from '../../app/vocabulary';
import { type RosterImport, rosterImportPath } from './povertyApi';

// 参保名册: the bureau's own roster extract is imported so that lists are checked against real people.
// A dry run counts what would change; refused rows are listed by line with their reasons (never with
// the person's name or ID, so the answer may be shown on any screen).

const LIST_TYPES = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// The roster's own columns; a person's name and ID number are named as the items' fields are.
const COLUMN_NAMES = viewOf((v) => ({
  name: v.fields.item.name ?? 'name',
  idNumber: v.fields.item.idNumber ?? 'idNumber',
  address: '地址',
  scheme: '参保类别',
  startedOn: '参保时间',
  employer: '参保单位',
  paidThrough: '保期截至',
  endedOn: '停保时间',
  endReason: '停保原因',
  phone: '联系电话',
}));

const INTRODUCTION =
  '导入业务系统导出的参保人员名册（CSV 或 XLSX），一行一条参保记录：姓名、身份证号必填，' +
  '可有地址、参保类别（职工/居民）、参保时间、参保单位、保期截至、停保时间、停保原因。' +
  '再次导入同一名册不会重复；新名册会更新姓名、地址和参保记录，不会删除名册中已有的人员，' +
  '空白单元格和缺少的列保留原值，已停保的记录不会因导入旧名册而恢复。';

const tallyText = (tally: RosterImport['people']) =>
  `新增 ${tally.added}，更新 ${tally.updated}，未变 ${tally.unchanged}`;

function RosterResult({ result }: { result: RosterImport }) {
  return (
    <Card
      size="small"
      data-testid="roster-result"
      title={`${result.dryRun ? '试导入结果（未写入）' : '导入结果'}：${result.fileName}`}
      style={{ marginBottom: 16 }}
    >
      <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
        <Descriptions.Item label="数据行">{result.rows}</Descriptions.Item>
        <Descriptions.Item label="跳过的行">
          {result.skipped.length}（空行、标题、表头、合计等）
        </Descriptions.Item>
        <Descriptions.Item label="人员">{tallyText(result.people)}</Descriptions.Item>
        <Descriptions.Item label="参保记录">{tallyText(result.enrollments)}</Descriptions.Item>
        <Descriptions.Item label="识别的列" span={2}>
          {Object.entries(result.columns)
            .map(([key, header]) => `${COLUMN_NAMES[key] ?? key}＝${header}`)
            .join('；')}
        </Descriptions.Item>
      </Descriptions>
      {result.rejected.length > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            未导入的行（{result.rejected.length}）：请在原文件中改正后再次导入
          </Typography.Title>
          <Table
            size="small"
            rowKey="line"
            dataSource={result.rejected}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: '行号', dataIndex: 'line', width: 80 },
              { title: '原因', dataIndex: 'reasons', render: (reasons: string[]) => reasons.join('；') },
            ]}
          />
        </>
      )}
    </Card>
  );
}

export function RosterTab() {
  const { message } = App.useApp();
  const [file, setFile] = useState<File>();
  const [dryRun, setDryRun] = useState(true);
  const [percent, setPercent] = useState<number>();
  const [problem, setProblem] = useState<string>();
  const [result, setResult] = useState<RosterImport>();

  const upload = async () => {
    if (!file) {
      setProblem('请先选择名册文件（CSV 或 XLSX）');
      return;
    }
    setProblem(undefined);
    setResult(undefined);
    setPercent(0);
    try {
      const body = new FormData();
      body.append('file', file, file.name);
      const answer = await uploadWithProgress<RosterImport>(rosterImportPath(dryRun), body, setPercent);
      setResult(answer);
      const done = `${answer.dryRun ? '试导入完成' : '导入完成'}：人员新增 ${answer.people.added}，更新 ${answer.people.updated}`;
      if (answer.rejected.length > 0) message.warning(`${done}；${answer.rejected.length} 行未导入，见下表`);
      else message.success(done);
    } catch (reason) {
      setProblem(asApiError(reason).message);
    } finally {
      setPercent(undefined);
    }
  };

  return (
    <>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{INTRODUCTION}</Typography.Paragraph>
        <Form layout="vertical">
          <Form.Item label="名册文件" htmlFor="roster-file" style={{ marginBottom: 0 }}>
            <Upload.Dragger
              id="roster-file"
              accept={LIST_TYPES}
              showUploadList={false}
              beforeUpload={(chosen) => {
                setFile(chosen);
                setProblem(undefined);
                return false;
              }}
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p className="ant-upload-text">
                {file
                  ? `已选：${file.name}（${file.size} 字节）`
                  : '点击或拖入名册文件（UTF-8 或 GBK 的 CSV，或 XLSX）'}
              </p>
            </Upload.Dragger>
          </Form.Item>
        </Form>
        <Space style={{ marginTop: 12 }}>
          <Checkbox checked={dryRun} onChange={(event) => setDryRun(event.target.checked)}>
            仅检查，不写入
          </Checkbox>
          <Button type="primary" onClick={upload} loading={percent !== undefined}>
            {dryRun ? '检查名册' : '导入名册'}
          </Button>
        </Space>
        {percent !== undefined && (
          <Progress percent={percent} status="active" aria-label="上传进度" style={{ marginTop: 12 }} />
        )}
        {problem && (
          <Alert type="error" showIcon title="未导入" description={problem} style={{ marginTop: 12 }} />
        )}
      </Card>
      {result && <RosterResult result={result} />}
    </>
  );
}
