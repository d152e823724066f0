import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Space, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { itemPath } from '../../app/paths';
import { ledgerFileBlob, type MadeLedger, saveBlob } from './povertyApi';

// A made ledger: its 档号, cover and tables as filed, and its two files to save now. Once filed they
// hold ID numbers and diagnoses, so they are read later only under an approved request.

export function LedgerResult({ made }: { made: MadeLedger }) {
  return (
    <Card size="small" title={`${made.title}（${made.period}）`} data-testid="ledger-result">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <span>
          档号：
          <Link to={itemPath(made.archiveCode)}>
            <Typography.Text strong copyable={{ text: made.archiveCode }} data-testid="ledger-code">
              {made.archiveCode}
            </Typography.Text>
          </Link>
        </span>
        <Descriptions
          size="small"
          bordered
          column={{ xs: 1, md: 2 }}
          title="封面"
          items={made.cover.map((entry) => ({ key: entry.label, label: entry.label, children: entry.value }))}
        />
        <Descriptions
          size="small"
          column={{ xs: 1, md: 3 }}
          title="表册"
          items={made.sections.map((section) => ({
            key: section.title,
            label: section.title,
            children: `${section.rows} 行`,
          }))}
        />
        <Alert
          type="info"
          showIcon
          title="已作为敏感档案归入“医保扶贫台账”，日后调阅须经审批；请现在保存需要的文件"
        />
        <Space wrap>
          {made.files.map((file) => (
            <Button
              key={file.fileNumber}
              icon={<DownloadOutlined />}
              disabled={!file.contentBase64}
              onClick={() =>
                file.contentBase64 &&
                saveBlob(ledgerFileBlob(file.fileName, file.contentBase64), file.fileName)
              }
            >
              下载 {file.fileName}（{file.size.toLocaleString('zh-CN')} 字节）
            </Button>
          ))}
        </Space>
      </Space>
    </Card>
  );
}
