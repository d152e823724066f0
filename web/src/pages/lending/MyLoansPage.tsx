import { Alert, Button, Card, List, Popconfirm, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { type ApiError, api, fetchBlob, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type Loan, loanColumns, loanStep, useLoans } from './lendingView';

// 我的借阅: the loans one asked for or borrows — their state, 应还日 and 实还日 — with what the
// borrower may do: withdraw a request, renew before the due date, end an electronic loan, and read
// the files of an electronic loan while it is open (each read checked, watermarked and logged).

function LoanFiles({
  loan,
  archiveCode,
  onError,
}: {
  loan: Loan;
  archiveCode: string;
  onError: (error: ApiError) => void;
}) {
  const files = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/loans/{loanNo}/items/{archiveCode}/files', {
          params: { path: { loanNo: loan.loanNo, archiveCode } },
        }),
      ),
    [loan.loanNo, archiveCode],
  );
  const read = async (fileNumber: number) => {
    try {
      const blob = await fetchBlob(
        `/api/v1/loans/${encodeURIComponent(loan.loanNo)}/items/${encodeURIComponent(archiveCode)}/files/${fileNumber}`,
      );
      window.open(URL.createObjectURL(blob), '_blank', 'noopener');
    } catch (error) {
      onError(error as ApiError);
    }
  };
  if (files.error) return <Typography.Text type="danger">{files.error.message}</Typography.Text>;
  return (
    <List
      size="small"
      header={<Typography.Text strong>{archiveCode}</Typography.Text>}
      dataSource={files.data?.files ?? []}
      locale={{ emptyText: '没有电子文件' }}
      renderItem={(file) => (
        <List.Item
          actions={[
            <Button key="read" size="small" onClick={() => read(file.fileNumber)}>
              阅览
            </Button>,
          ]}
        >
          {file.fileName}
        </List.Item>
      )}
    />
  );
}

export default function MyLoansPage() {
  const loans = useLoans('mine');
  const [params] = useSearchParams();
  const created = params.get('created');
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();

  const step = async (loan: Loan, verb: 'withdraw' | 'renew' | 'end' | 'open', what: string) => {
    setError(undefined);
    try {
      const after = await loanStep(loan.loanNo, verb);
      setDone(
        `借阅单 ${after.loanNo} 已${what}${after.dueOn && verb === 'renew' ? `，应还日 ${after.dueOn}` : ''}`,
      );
      loans.reload();
    } catch (caught) {
      setError(caught as ApiError);
    }
  };

  const columns: ColumnsType<Loan> = [
    ...loanColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 150,
      render: (_, loan) => (
        <Space wrap>
          {(loan.state === 'requested' || loan.state === 'approved') && (
            <Popconfirm title="撤回这张借阅申请？" onConfirm={() => step(loan, 'withdraw', '撤回')}>
              <Button size="small">撤回</Button>
            </Popconfirm>
          )}
          {loan.state === 'approved' && loan.kind !== 'paper' && (
            <Button size="small" onClick={() => step(loan, 'open', '开通')}>
              开通
            </Button>
          )}
          {loan.state === 'on_loan' &&
            loan.renewals < loan.renewalsAllowed &&
            loan.shownState !== 'expired' && (
              <Button size="small" onClick={() => step(loan, 'renew', '续借')}>
                续借
              </Button>
            )}
          {loan.state === 'on_loan' && loan.kind !== 'paper' && (
            <Button size="small" onClick={() => step(loan, 'end', '完结')}>
              完结
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          我的借阅
        </Typography.Title>
      }
    >
      {created && !done && (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          message={`已提交借阅申请 ${created}，等待审批`}
        />
      )}
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      {error && <Alert type="error" showIcon style={{ marginBottom: 16 }} message={error.message} />}
      <ErrorNotice error={loans.error} retry={loans.reload} />
      <Table
        rowKey="loanNo"
        size="middle"
        loading={loans.loading}
        columns={columns}
        dataSource={loans.data?.loans ?? []}
        locale={{ emptyText: '还没有借阅' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        expandable={{
          rowExpandable: (loan) => loan.kind !== 'paper' && loan.state === 'on_loan',
          expandedRowRender: (loan) => (
            <Space direction="vertical" style={{ width: '100%' }}>
              <Typography.Text type="secondary">
                在借阅下阅览的文件加盖水印（借阅单号、阅览人、时间），并记入日志；应还日 {loan.dueOn}{' '}
                之后不能再阅览。
              </Typography.Text>
              {loan.items.map((item) => (
                <LoanFiles
                  key={item.archiveCode}
                  loan={loan}
                  archiveCode={item.archiveCode}
                  onError={setError}
                />
              ))}
            </Space>
          ),
        }}
      />
    </Card>
  );
}
