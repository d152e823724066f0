import { Button, Segmented, Typography } from 'antd';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../../app/auth';

// The insured person's window, laid out for a phone (what a 医保电子凭证 mini-program embeds): one
// column at most 480 px wide, a title, three tabs and the page. No sidebar: this is not the console.

const TABS = [
  { value: '/insured', label: '我的档案' },
  { value: '/insured/views', label: '谁查看了我' },
  { value: '/insured/copies', label: '复制件' },
];

export default function InsuredLayout() {
  const { user, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  return (
    <div style={{ maxWidth: 480, margin: '0 auto', padding: '12px 12px 32px', boxSizing: 'border-box' }}>
      <div style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 8 }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          参保人自助查询
        </Typography.Title>
        <Button size="small" onClick={() => void signOut()}>
          退出
        </Button>
      </div>
      <Typography.Text type="secondary" style={{ display: 'block', margin: '4px 0 12px' }}>
        {user?.displayName ?? user?.username}，您好。这里只显示您本人的档案。
      </Typography.Text>
      <Segmented
        block
        options={TABS}
        value={TABS.find((tab) => tab.value === location.pathname)?.value ?? '/insured'}
        onChange={(value) => navigate(String(value))}
        style={{ marginBottom: 12 }}
      />
      <Outlet />
    </div>
  );
}
