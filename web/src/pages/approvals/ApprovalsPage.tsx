import { Typography } from 'antd';
import { useAuth } from '../../app/auth';
import { ApproverInbox } from './ApproverInbox';
import { MyRequests } from './MyRequests';

// 审批: the 安全保密员 (access.grant) decides requests to read sensitive items; everyone else follows
// their own requests here. 三员分立 means an approver never reads archives, so never asks either.
export default function ApprovalsPage() {
  const { can } = useAuth();
  const approver = can('access.grant');
  return (
    <>
      <Typography.Title level={3}>{approver ? '查阅审批' : '我的查阅申请'}</Typography.Title>
      {approver ? <ApproverInbox /> : <MyRequests />}
    </>
  );
}
