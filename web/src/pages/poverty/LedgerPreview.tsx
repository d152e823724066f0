import { DownloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { ledgerFileBlob, type PreviewedLedger, saveBlob } from './povertyApi';

// A ledger made but not filed: its cover and the first rows of each table as the server shows them
// (masked), its two files marked 预览 to save and check, and the step that files it. What is filed is
// this ledger: the server compares its digest and refuses if the data changed since.

type Section = PreviewedLedger['sections'][number];
type Row = Section['sample'][number];

/** A key no ledger column uses, numbering the rows shown. */
const ROW_KEY = '__row';
const MONEY = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function cellText(value: Row[string] | undefined, kind: Section['columns'][number]['kind']): string {
  if (value === null || value === undefined) return '';
  if (kind === 'money' && typeof value === 'number') return MONEY.format(value);
  return String(value);
}

function columnsOf(section: Section): ColumnsType<Row> {
  return section.columns.map((column) => {
    const figure = column.kind === 'money' || column.kind === 'count';
    return {
      key: column.key,
      title: column.header,
      align: figure ? 'right' : 'left',
      // Dates and figures stay on one line, as they do in the printed ledger.
      onCell: () => ({ style: figure || column.kind === 'date' ? { whiteSpace: 'nowrap' } : {} }),
      render: (_: unknown, row: Row) => cellText(row[column.key], column.kind),
    };
  });
}

function SectionTable({ section }: { section: Section }) {
  const shown = section.sample.length;
  return (
    <>
      <Table<Row>
        size="small"
        bordered
        rowKey={ROW_KEY}
        columns={columnsOf(section)}
        dataSource={section.sample.map((row, index) => ({ ...row, [ROW_KEY]: index }))}
        pagination={{ pageSize: 20, showSizeChanger: false, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: '无记录' }}
        summary={() =>
          section.totals ? (
            <Table.Summary.Row>
              {section.columns.map((column, index) => (
                <Table.Summary.Cell
                  key={column.key}
                  index={index}
                  align={column.kind === 'money' || column.kind === 'count' ? 'right' : 'left'}
                >
                  <Typography.Text strong>
                    {cellText(section.totals?.[column.key], column.kind)}
                  </Typography.Text>
                </Table.Summary.Cell>
              ))}
            </Table.Summary.Row>
          ) : null
        }
      />
      {shown < section.rows && (
        <Typography.Text type="secondary">
          共 {section.rows} 行，此处显示前 {shown} 行；全部行见预览文件。
        </Typography.Text>
      )}
    </>
  );
}

export function LedgerPreview({
  previewed,
  mayFile,
  filing,
  onFile,
}: {
  previewed: PreviewedLedger;
  mayFile: boolean;
  filing: boolean;
  onFile: () => void;
}) {
  return (
    <Card
      size="small"
      title={
        <Space>
          {`${previewed.title}（${previewed.period}）`}
          <Tag color="warning">{previewed.mark}</Tag>
        </Space>
      }
      data-testid="ledger-preview"
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Descriptions
          size="small"
          bordered
          column={{ xs: 1, md: 2 }}
          title="封面"
          items={previewed.cover.map((entry) => ({
            key: entry.label,
            label: entry.label,
            children: entry.value,
          }))}
        />
        <Tabs
          items={previewed.sections.map((section) => ({
            key: section.title,
            label: `${section.title}（${section.rows} 行）`,
            children: <SectionTable section={section} />,
          }))}
        />
        <Space wrap>
          {previewed.files.map((file) => (
            <Button
              key={file.fileName}
              icon={<DownloadOutlined />}
              disabled={!file.contentBase64}
              onClick={() =>
                file.contentBase64 &&
                saveBlob(ledgerFileBlob(file.fileName, file.contentBase64), file.fileName)
              }
            >
              下载 {file.fileName}
            </Button>
          ))}
        </Space>
        <Alert
          type="info"
          showIcon
          title="预览未归档，不编档号；预览文件标有“预览”字样，不能作为台账使用。核对无误后点“归档”，归档的即是这份台账。"
        />
        <Button type="primary" onClick={onFile} loading={filing} disabled={!mayFile}>
          归档
        </Button>
      </Space>
    </Card>
  );
}
