import { LockOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Space, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { REQUEST_STATUS_NAMES } from '../../app/labels';
import { beijingText } from '../../app/time';
import { AccessRequestModal } from './AccessRequestModal';
import { fieldText, ITEM_SENSITIVITY_NAMES, type Item } from './itemFields';

// A sensitive item the user has no grant for: the server refuses its content (403 GRANT_REQUIRED).
// The page says so, shows what the list showed (where it sits in the archive), the user's own
// requests for it, and offers 申请查阅; once one is approved, 查阅 reads it under that grant.

export function useMyRequests(archiveCode: string, deps: unknown[] = []) {
  return useRequest(async () => {
    const answer = await unwrap(
      api.GET('/api/v1/access-requests', { params: { query: { mine: true, limit: 200 } } }),
    );
    return answer.requests.filter((request) =>
      request.items.some((item) => item.archiveCode === archiveCode),
    );
  }, [archiveCode, ...deps]);
}

export function WithheldNotice({
  archiveCode,
  message,
  listed,
  onRead,
}: {
  archiveCode: string;
  message: string;
  /** The row the list showed, when the user came from it. */
  listed: Item | undefined;
  /** Reads the item under an approved grant, with the grant's purpose. */
  onRead: (purpose: string) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [tick, setTick] = useState(0);
  const requests = useMyRequests(archiveCode, [tick]);
  const sensitivity =
    listed?.sensitivity ??
    requests.data?.[0]?.items.find((item) => item.archiveCode === archiveCode)?.sensitivity ??
    'sensitive';
  const approved = requests.data?.find(
    (request) =>
      request.status === 'approved' && (!request.expiresAt || dayjs(request.expiresAt).isAfter(dayjs())),
  );
  const pending = requests.data?.find((request) => request.status === 'pending');
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Alert
        type="warning"
        showIcon
        icon={<LockOutlined />}
        title={`${ITEM_SENSITIVITY_NAMES[sensitivity] ?? '敏感'}档案：内容已隐去`}
        description={message}
        action={
          approved ? (
            <Button type="primary" onClick={() => onRead(approved.purpose)}>
              查阅
            </Button>
          ) : pending ? undefined : (
            <Button type="primary" onClick={() => setAsking(true)}>
              申请查阅
            </Button>
          )
        }
      />
      {approved && (
        <Alert
          type="success"
          showIcon
          title={`您的查阅申请（编号 ${approved.id}）已批准`}
          description={`用途：${approved.purpose}；有效期至 ${beijingText(approved.expiresAt, 'minute')}。点击“查阅”按此用途查阅（记入事件日志）。`}
        />
      )}
      {pending && !approved && (
        <Alert
          type="info"
          showIcon
          title={`您的查阅申请（编号 ${pending.id}）待安全保密员审批`}
          description={`用途：${pending.purpose}；申请期限 ${Math.round(pending.hours / 24) || 1} 天。可在“审批”页查看或撤回。`}
        />
      )}
      {listed && (
        <Card size="small" title="档案位置（列表所示）">
          <Descriptions
            size="small"
            column={{ xs: 1, md: 3 }}
            items={[
              { key: 'code', label: '档号', children: listed.archiveCode },
              { key: 'category', label: '类别', children: fieldText(listed, 'category') },
              { key: 'year', label: '年度', children: listed.year },
              { key: 'retention', label: '保管期限', children: fieldText(listed, 'retention') },
              { key: 'expires', label: '到期日', children: listed.retentionExpiresOn ?? '永久' },
              { key: 'carrier', label: '载体', children: fieldText(listed, 'carrier') },
            ]}
          />
        </Card>
      )}
      {(requests.data ?? []).length > 0 && (
        <Card size="small" title="我对此档案的查阅申请">
          {(requests.data ?? []).map((request) => (
            <div key={request.id}>
              <Typography.Text>
                编号 {request.id} · {beijingText(request.createdAt, 'minute')} · {request.purpose}{' '}
              </Typography.Text>
              <Tag>{REQUEST_STATUS_NAMES[request.status] ?? request.status}</Tag>
            </div>
          ))}
        </Card>
      )}
      <AccessRequestModal
        open={asking}
        targets={[{ archiveCode, sensitivity }]}
        onClose={() => setAsking(false)}
        onDone={() => setTick((value) => value + 1)}
      />
    </Space>
  );
}

/** A sensitive item the user may read: under which of their approved requests, and that it is logged. */
export function SensitiveNotice({ item, purpose }: { item: Item; purpose: string | undefined }) {
  const requests = useMyRequests(item.archiveCode);
  const grant = requests.data?.find(
    (request) =>
      request.status === 'approved' && (!request.expiresAt || dayjs(request.expiresAt).isAfter(dayjs())),
  );
  const kind = ITEM_SENSITIVITY_NAMES[item.sensitivity] ?? '敏感';
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginTop: 12 }}
      title={`${kind}档案`}
      description={
        grant
          ? `依据您的查阅申请（编号 ${grant.id}，用途：${purpose ?? grant.purpose}）查阅，授权有效期至 ${beijingText(grant.expiresAt, 'minute')}；每次查阅均记入事件日志。`
          : `每次查阅${purpose ? `（用途：${purpose}）` : ''}均记入事件日志。`
      }
    />
  );
}
