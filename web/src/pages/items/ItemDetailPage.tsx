import { ArrowLeftOutlined, EditOutlined, EyeInvisibleOutlined, EyeOutlined } from '@ant-design/icons';
import { Alert, Button, Result, Skeleton, Space, Tabs, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { DestroyedNotice } from '../disposition/DestroyedNotice';
import { EventsTab } from './EventsTab';
import { FilesTab } from './FilesTab';
import { ItemEditDrawer } from './ItemEditDrawer';
import { ItemMetadata } from './ItemMetadata';
import { type Category, codeParam, ITEM_SENSITIVITY_NAMES, type Item, isSensitive } from './itemFields';
import { PurposeModal } from './PurposeModal';
import { ScansTab } from './ScansTab';
import { VersionHistory } from './VersionHistory';
import { SensitiveNotice, WithheldNotice } from './WithheldNotice';

// 档案详情: one item by its 档号 (URL-encoded in the path). Personal data is masked unless the user
// asks to see it in full with a purpose; a sensitive item without a grant shows only where it sits
// and the way to ask for it. Sections are tabs, the chosen one kept in the address.

interface Disclosure {
  unmask?: boolean;
  purpose?: string;
}

export default function ItemDetailPage() {
  const { archiveCode = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { can } = useAuth();
  const listed = (location.state as { listed?: Item } | null)?.listed;
  const [disclosure, setDisclosure] = useState<Disclosure>({});
  const [askPurpose, setAskPurpose] = useState(false);
  const [editing, setEditing] = useState(false);

  const item = useRequest(
    () =>
      unwrap(
        api.GET('/api/v1/items/{archiveCode}', {
          params: { ...codeParam(archiveCode), query: disclosure },
        }),
      ),
    [archiveCode, disclosure.unmask, disclosure.purpose],
  );
  const categories = useRequest(
    () => (can('catalog.read') ? unwrap(api.GET('/api/v1/categories')) : Promise.resolve([])),
    [],
  );
  const categoryMap = useMemo(
    () => new Map<string, Category>((categories.data ?? []).map((category) => [category.code, category])),
    [categories.data],
  );

  const back = (
    <Button
      type="link"
      icon={<ArrowLeftOutlined />}
      onClick={() => (listed ? navigate(-1) : navigate('/items'))}
      style={{ paddingInline: 0 }}
    >
      返回档案列表
    </Button>
  );

  if (item.loading && !item.data && !item.error) return <Skeleton active paragraph={{ rows: 10 }} />;
  if (item.error && !item.data) {
    if (item.error.code === 'GRANT_REQUIRED')
      return (
        <div>
          {back}
          <Typography.Title level={3}>{archiveCode}</Typography.Title>
          <WithheldNotice
            archiveCode={archiveCode}
            message={item.error.message}
            listed={listed}
            onRead={(purpose) => setDisclosure({ purpose })}
          />
        </div>
      );
    if (item.error.status === 404)
      return <Result status="404" title="档案不存在" subTitle={item.error.message} extra={back} />;
    return (
      <div>
        {back}
        <ErrorNotice error={item.error} retry={item.reload} />
      </div>
    );
  }
  const current = item.data;
  if (!current) return null;
  const unmasked = Boolean(disclosure.unmask);
  const tab = params.get('tab') ?? 'info';

  const tabs = [
    {
      key: 'info',
      label: '著录信息',
      children: <ItemMetadata item={current} categories={categoryMap} />,
    },
    {
      key: 'versions',
      label: `版本历史（${current.version}）`,
      children: (
        <VersionHistory
          archiveCode={current.archiveCode}
          version={current.version}
          categories={categoryMap}
          disclosure={disclosure}
        />
      ),
    },
    ...(can('file.read')
      ? [
          { key: 'files', label: '电子文件', children: <FilesTab archiveCode={current.archiveCode} /> },
          { key: 'scans', label: '扫描页', children: <ScansTab archiveCode={current.archiveCode} /> },
        ]
      : []),
    ...(can('integrity.read')
      ? [{ key: 'events', label: '事件', children: <EventsTab archiveCode={current.archiveCode} /> }]
      : []),
  ];

  return (
    <div>
      {back}
      <Space style={{ width: '100%', justifyContent: 'space-between' }} align="start" wrap>
        <div>
          <Typography.Title level={3} style={{ marginBottom: 4 }}>
            {current.archiveCode}
          </Typography.Title>
          <Space wrap>
            <Typography.Text>{current.title}</Typography.Text>
            <Tag>{current.categoryName}</Tag>
            {isSensitive(current) && (
              <Tag color="orange">{ITEM_SENSITIVITY_NAMES[current.sensitivity] ?? current.sensitivity}</Tag>
            )}
            <Tag color="blue">第 {current.version} 版</Tag>
            {unmasked && <Tag color="red">完整信息</Tag>}
          </Space>
        </div>
        <Space>
          {can('item.unmask') &&
            (unmasked ? (
              <Button icon={<EyeInvisibleOutlined />} onClick={() => setDisclosure({})}>
                恢复脱敏显示
              </Button>
            ) : (
              <Button icon={<EyeOutlined />} onClick={() => setAskPurpose(true)}>
                显示完整信息
              </Button>
            ))}
          {can('item.update') && !current.destroyed && (
            <Button type="primary" icon={<EditOutlined />} onClick={() => setEditing(true)}>
              修改
            </Button>
          )}
        </Space>
      </Space>
      {current.destroyed && (
        <DestroyedNotice destroyed={current.destroyed} pending={current.destroyedPending === true} />
      )}
      {isSensitive(current) && <SensitiveNotice item={current} purpose={disclosure.purpose} />}
      {unmasked && (
        <Alert
          type="info"
          showIcon
          style={{ marginTop: 12 }}
          title={`正在显示未脱敏的个人信息（用途：${disclosure.purpose ?? ''}），已记入事件日志`}
        />
      )}
      <Tabs
        style={{ marginTop: 12 }}
        activeKey={tabs.some((entry) => entry.key === tab) ? tab : 'info'}
        onChange={(key) => {
          const next = new URLSearchParams(params);
          if (key === 'info') next.delete('tab');
          else next.set('tab', key);
          setParams(next, { replace: true, state: location.state });
        }}
        items={tabs}
        destroyOnHidden
      />
      <PurposeModal
        open={askPurpose}
        onCancel={() => setAskPurpose(false)}
        onConfirm={(purpose) => {
          setAskPurpose(false);
          setDisclosure({ unmask: true, purpose });
        }}
      />
      {can('item.update') && (
        <ItemEditDrawer
          item={current}
          category={categoryMap.get(current.category)}
          unmasked={unmasked}
          open={editing}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            item.reload();
          }}
        />
      )}
    </div>
  );
}
