import { Tabs, Typography } from 'antd';
import { useSearchParams } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { LedgerTab } from './LedgerTab';
import { ReconcileTab } from './ReconcileTab';
import { RosterTab } from './RosterTab';

// 医保扶贫: checking departments' lists against the insured roster, making the ledgers that are
// filed as archives, and importing the roster itself. The tab is kept in the address, so a reload or
// a shared link opens the same one.

const TABS = ['reconcile', 'ledger', 'roster'] as const;
type Tab = (typeof TABS)[number];

export default function PovertyPage() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: Tab = TABS.find((known) => known === asked) ?? 'reconcile';
  return (
    <>
      <Typography.Title level={3}>医保扶贫</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === 'reconcile' ? {} : { tab: key }, { replace: true })}
        items={[
          { key: 'reconcile', label: '名单核对', children: <ReconcileTab /> },
          { key: 'ledger', label: '编制台账', children: <LedgerTab mayFile={can('item.create')} /> },
          { key: 'roster', label: '参保名册', children: <RosterTab /> },
        ]}
      />
    </>
  );
}
