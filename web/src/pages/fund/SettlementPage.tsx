import { Card, Descriptions, Table, Tag, Typography } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { useRequest } from '../../app/hooks';
import { itemPath } from '../../app/paths';
import { ErrorNotice } from '../../components/ErrorNotice';
import { loadSettlement } from './settlement-api';

// One settlement: its header as the 结算清单 shows it (the person masked, diagnoses as ICD-10 codes),
// its detail lines, and the archive items filed for its 结算流水号 as the caller may see them.

export default function SettlementPage() {
  const { serial = '' } = useParams();
  const detail = useRequest(() => loadSettlement(serial), [serial]);
  if (detail.error) return <ErrorNotice error={detail.error} retry={detail.reload} />;
  const data = detail.data;
  return (
    <>
      <Typography.Title level={3}>结算 {serial}</Typography.Title>
      <Card size="small" loading={detail.loading} style={{ marginBottom: 16 }}>
        {data && (
          <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }}>
            <Descriptions.Item label="参保人">
              {data.person.idNumber}（{data.person.sex}，入院时 {data.person.ageAtAdmission} 岁）
            </Descriptions.Item>
            <Descriptions.Item label="统筹区">{data.region}</Descriptions.Item>
            <Descriptions.Item label="定点医药机构">
              {data.institution.name}（{data.institution.code}，{data.institution.level}）
            </Descriptions.Item>
            <Descriptions.Item label="医疗类别">{data.visitType}</Descriptions.Item>
            <Descriptions.Item label="入院 / 出院">
              {data.admitDate} 至 {data.dischargeDate}（{data.stayDays} 天）
            </Descriptions.Item>
            <Descriptions.Item label="诊断">
              {[data.primaryDx, ...data.otherDx].map((code, index) => (
                <Tag key={code} color={index === 0 ? 'blue' : undefined}>
                  {code}
                </Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label="医疗费总额">{data.totalCost} 元</Descriptions.Item>
            <Descriptions.Item label="基金支付">{data.fundPaid} 元</Descriptions.Item>
            <Descriptions.Item label="个人负担">{data.selfPaid} 元</Descriptions.Item>
            <Descriptions.Item label="结算日期">{data.settledOn}</Descriptions.Item>
          </Descriptions>
        )}
      </Card>
      <Card size="small" title="明细" style={{ marginBottom: 16 }}>
        <div data-testid="settlement-lines">
          <Table
            size="small"
            rowKey="lineNo"
            dataSource={data?.lines ?? []}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: '序号', dataIndex: 'lineNo', width: 60 },
              { title: '类别', dataIndex: 'itemCategory', width: 60 },
              { title: '项目编码', dataIndex: 'itemCode', width: 150 },
              { title: '项目名称', dataIndex: 'itemName' },
              { title: '数量', dataIndex: 'quantity', align: 'right', width: 80 },
              { title: '单价', dataIndex: 'unitPrice', align: 'right', width: 80 },
              { title: '金额', dataIndex: 'amount', align: 'right', width: 90 },
              { title: '用药天数', dataIndex: 'daysSupply', width: 80 },
              { title: '日期', dataIndex: 'lineDate', width: 110 },
            ]}
          />
        </div>
      </Card>
      <Card size="small" title="对应档案">
        <div data-testid="settlement-archives">
          <Table
            size="small"
            rowKey="archiveCode"
            dataSource={data?.archives ?? []}
            pagination={false}
            locale={{ emptyText: '没有对应的档案（或不在您的范围内）' }}
            columns={[
              {
                title: '档号',
                dataIndex: 'archiveCode',
                render: (code: string) => <Link to={itemPath(code)}>{code}</Link>,
              },
              { title: '类别', dataIndex: 'categoryName', width: 160 },
              {
                title: '档案题名',
                render: (_, row) => (row.withheld ? <Tag>敏感档案，未获批准</Tag> : row.title),
              },
            ]}
          />
        </div>
      </Card>
    </>
  );
}
