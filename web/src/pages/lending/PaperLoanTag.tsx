import { Tag } from 'antd';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';

// The paper location's 借出 line on the item page: to whom and until when, while the paper is out.
// Asked of the lending API (the catalog does not know loans).

export function PaperLoanTag({ archiveCode }: { archiveCode: string }) {
  const { can } = useAuth();
  const allowed = can('loan.request') || can('loan.handle');
  const held = useRequest(
    async () =>
      allowed
        ? unwrap(api.GET('/api/v1/loans/held', { params: { query: { item: archiveCode } } }))
        : { loan: null },
    [archiveCode, allowed],
  );
  const loan = held.data?.loan;
  if (!loan) return null;
  return (
    <Tag color="red" style={{ fontSize: 14, padding: '2px 8px' }} aria-label="借出">
      借出：{loan.borrower}，应还日 {loan.dueOn}（{loan.loanNo}）
    </Tag>
  );
}
