import { Space, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { itemPath } from '../../app/paths';
import { namesOf } from '../../app/vocabulary';

// What the lending pages share: the loan as the API gives it, its names from the server's
// vocabulary, the common columns, and one way to take a step on a loan.

export type Loan = ResponseOf<'/api/v1/loans/{loanNo}', 'get'>;
export type LoanListView = 'mine' | 'approvals' | 'desk' | 'all';

export const LOAN_KIND_NAMES = namesOf((v) => v.values.loanKind);
export const LOAN_STATE_NAMES = namesOf((v) => v.values.loanState);
export const RETURN_CONDITION_NAMES = namesOf((v) => v.values.returnCondition);

export function useLoans(view: LoanListView) {
  return useRequest(
    () => unwrap(api.GET('/api/v1/loans', { params: { query: { view, limit: 200 } } })),
    [view],
  );
}

type Step = 'approve' | 'reject' | 'withdraw' | 'open' | 'end' | 'hand-over' | 'renew' | 'return';

/** Takes a step on a loan; answers the loan after it, or throws the server's Chinese error. */
export function loanStep(loanNo: string, step: Step, body: Record<string, unknown> = {}): Promise<Loan> {
  const path = `/api/v1/loans/{loanNo}/${step}` as '/api/v1/loans/{loanNo}/approve';
  return unwrap(api.POST(path, { params: { path: { loanNo } }, body: body as never })) as Promise<Loan>;
}

export function BorrowerText({ loan }: { loan: Loan }) {
  const { user, organisation, person, letterNo } = loan.borrower;
  if (!organisation) return <>{user}</>;
  return (
    <>
      <div>
        {organisation}
        {person ? `（${person}）` : ''}
      </div>
      <Typography.Text type="secondary">介绍信 {letterNo}</Typography.Text>
    </>
  );
}

export function StateTag({ loan }: { loan: Loan }) {
  const colour =
    loan.overdue || loan.shownState === 'expired'
      ? 'red'
      : loan.state === 'on_loan'
        ? 'green'
        : loan.state === 'requested'
          ? 'gold'
          : loan.state === 'approved'
            ? 'blue'
            : 'default';
  return (
    <Tag color={colour}>
      {LOAN_STATE_NAMES[loan.shownState] ?? loan.stateName}
      {loan.overdue ? ' · 逾期' : ''}
    </Tag>
  );
}

export function ItemCodes({ loan }: { loan: Loan }) {
  return (
    <Space direction="vertical" size={0}>
      {loan.items.map((item) => (
        <span key={item.archiveCode}>
          <Link to={itemPath(item.archiveCode)}>{item.archiveCode}</Link>
          {item.returnedAt ? (
            <Typography.Text type="secondary">
              {' '}
              已还{item.conditionName ? `（${item.conditionName}）` : ''}
            </Typography.Text>
          ) : null}
        </span>
      ))}
    </Space>
  );
}

/** The columns every list shows: number and kind, borrower, items, purpose, state and dates. */
export function loanColumns(): ColumnsType<Loan> {
  return [
    {
      title: '借阅单号',
      key: 'loanNo',
      width: 130,
      render: (_, loan) => (
        <>
          <div>{loan.loanNo}</div>
          <Typography.Text type="secondary">
            {LOAN_KIND_NAMES[loan.kind] ?? loan.kind} · {loan.daysApproved ?? loan.daysRequested} 天
          </Typography.Text>
        </>
      ),
    },
    { title: '借阅人', key: 'borrower', width: 120, render: (_, loan) => <BorrowerText loan={loan} /> },
    { title: '档号', key: 'items', width: 210, render: (_, loan) => <ItemCodes loan={loan} /> },
    { title: '借阅目的', dataIndex: 'purpose' },
    {
      title: '状态',
      key: 'state',
      width: 110,
      render: (_, loan) => (
        <>
          <StateTag loan={loan} />
          {loan.state === 'requested' ? (
            <div>
              <Typography.Text type="secondary">
                审批 {loan.approvedLevel}/{loan.approvalLevels}
              </Typography.Text>
            </div>
          ) : null}
        </>
      ),
    },
    {
      title: '应还日',
      key: 'dates',
      width: 120,
      render: (_, loan) => (
        <>
          <div>{loan.dueOn ?? '—'}</div>
          {loan.returnedOn ? (
            <Typography.Text type="secondary">实还 {loan.returnedOn}</Typography.Text>
          ) : null}
        </>
      ),
    },
  ];
}
