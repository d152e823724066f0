import { Space, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import type { ResponseOf } from '../../api/types';
import { REQUEST_STATUS_NAMES, SENSITIVITY_NAMES } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';

// Shared pieces of the approvals page: how a request, its status and its items are shown.

export type AccessRequest = ResponseOf<'/api/v1/access-requests', 'get'>['requests'][number];

export const formatTime = (iso: string | null | undefined): string => beijingText(iso, 'minute');

/** The API counts hours; requests made in the console are whole days, so days read better then. */
export const durationText = (hours: number): string =>
  hours % 24 === 0 ? `${hours / 24} 天` : `${hours} 小时`;

const STATUS_COLORS: Record<string, string> = {
  pending: 'processing',
  approved: 'success',
  rejected: 'error',
  revoked: 'warning',
  withdrawn: 'default',
  expired: 'default',
};

export function StatusTag({ status }: { status: string }) {
  return <Tag color={STATUS_COLORS[status] ?? 'default'}>{REQUEST_STATUS_NAMES[status] ?? status}</Tag>;
}

/** Where the request stands, in a line: who decided, until when, why. */
export function StatusDetail({ request }: { request: AccessRequest }) {
  const lines: string[] = [];
  if (request.status === 'approved') lines.push(`有效期至 ${formatTime(request.expiresAt)}`);
  if (request.status === 'expired') lines.push(`已于 ${formatTime(request.expiresAt)} 到期`);
  if (request.status === 'rejected' && request.note) lines.push(`驳回理由：${request.note}`);
  if ((request.status === 'approved' || request.status === 'expired') && request.note)
    lines.push(`审批意见：${request.note}`);
  if (request.status === 'revoked') {
    lines.push(`收回于 ${formatTime(request.revokedAt)}`);
    if (request.revokeNote) lines.push(`收回理由：${request.revokeNote}`);
  }
  if (request.decidedBy && request.status !== 'withdrawn')
    lines.push(`审批人 ${request.decidedBy}（${formatTime(request.decidedAt)}）`);
  return (
    <Space orientation="vertical" size={2}>
      <StatusTag status={request.status} />
      {lines.map((line) => (
        <Typography.Text key={line} type="secondary" style={{ fontSize: 12 }}>
          {line}
        </Typography.Text>
      ))}
    </Space>
  );
}

/** The requested items by 档号; linked to the item when the reader may open it now. */
export function ItemCodes({ request, linked }: { request: AccessRequest; linked: boolean }) {
  return (
    <Space orientation="vertical" size={2}>
      {request.items.map((item) => (
        <span key={item.archiveCode}>
          {/* A 档号 is never broken over lines; the category and tag may go to the next. */}
          <span style={{ whiteSpace: 'nowrap' }}>
            {linked ? (
              <Link to={itemPath(item.archiveCode)}>{item.archiveCode}</Link>
            ) : (
              <Typography.Text>{item.archiveCode}</Typography.Text>
            )}
          </span>{' '}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {item.categoryName}
          </Typography.Text>{' '}
          {item.sensitivity !== 'normal' && (
            <Tag color={item.sensitivity === 'restricted' ? 'red' : 'orange'}>
              {SENSITIVITY_NAMES[item.sensitivity] ?? item.sensitivity}
            </Tag>
          )}
        </span>
      ))}
    </Space>
  );
}
