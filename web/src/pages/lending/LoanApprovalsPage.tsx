import { Alert, Button, Card, Input, InputNumber, Modal, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type Loan, loanColumns, loanStep, useLoans } from './lendingView';

// 借阅审批: the requests waiting for the signed-in approver's level (their roles among the rule's
// approvers, never their own request). Approve (the days may be shortened) or reject with a reason.

export default function LoanApprovalsPage() {
  const loans = useLoans('approvals');
  const [deciding, setDeciding] = useState<{ loan: Loan; approve: boolean }>();
  const [days, setDays] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const decide = async () => {
    if (!deciding) return;
    setBusy(true);
    setError(undefined);
    try {
      const after = deciding.approve
        ? await loanStep(deciding.loan.loanNo, 'approve', days ? { days } : {})
        : await loanStep(deciding.loan.loanNo, 'reject', { reason });
      setDone(`借阅单 ${after.loanNo}：${after.stateName}`);
      setDeciding(undefined);
      loans.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const columns: ColumnsType<Loan> = [
    ...loanColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 130,
      render: (_, loan) => (
        <Space>
          <Button
            type="primary"
            size="small"
            onClick={() => {
              setDays(null);
              setError(undefined);
              setDeciding({ loan, approve: true });
            }}
          >
            批准
          </Button>
          <Button
            danger
            size="small"
            onClick={() => {
              setReason('');
              setError(undefined);
              setDeciding({ loan, approve: false });
            }}
          >
            驳回
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          借阅审批
        </Typography.Title>
      }
    >
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      <ErrorNotice error={loans.error} retry={loans.reload} />
      <Table
        rowKey="loanNo"
        size="middle"
        loading={loans.loading}
        columns={columns}
        dataSource={loans.data?.loans ?? []}
        locale={{ emptyText: '没有待审批的借阅申请' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
      />
      <Modal
        open={!!deciding}
        title={deciding ? `${deciding.approve ? '批准' : '驳回'}借阅单 ${deciding.loan.loanNo}` : ''}
        okText={deciding?.approve ? '批准' : '驳回'}
        cancelText="取消"
        confirmLoading={busy}
        onOk={decide}
        onCancel={() => setDeciding(undefined)}
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        {deciding?.approve ? (
          <Space direction="vertical">
            <Typography.Text>
              申请 {deciding.loan.daysRequested} 天
              {deciding.loan.daysApproved ? `，上一级批准 ${deciding.loan.daysApproved} 天` : ''}
              。可缩短：
            </Typography.Text>
            <InputNumber
              aria-label="批准天数"
              min={1}
              max={365}
              value={days}
              onChange={setDays}
              placeholder="不改"
            />
          </Space>
        ) : (
          <Input.TextArea
            aria-label="驳回理由"
            rows={3}
            maxLength={200}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            placeholder="驳回理由（必填）"
          />
        )}
      </Modal>
    </Card>
  );
}
