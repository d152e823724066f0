import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import type { MenuProps } from 'antd';
import { Button, Layout, Menu, Space, Spin, Tag, Typography } from 'antd';
import { Suspense } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from './auth';
import { ROLE_NAMES } from './labels';
import { allowed, NAV, type NavEntry } from './nav';

type MenuItem = Required<MenuProps>['items'][number];

function menuItems(entries: NavEntry[], can: (permission: string) => boolean): MenuItem[] {
  return entries
    .filter((entry) => allowed(entry, can))
    .map((entry) =>
      entry.children
        ? {
            key: entry.path,
            icon: entry.icon,
            label: entry.label,
            children: menuItems(entry.children, can),
          }
        : { key: entry.path, icon: entry.icon, label: <Link to={entry.path}>{entry.label}</Link> },
    );
}

/** The section a path belongs to, for the menu's selection (/items/D001-… selects 档案管理). */
function selectedKey(pathname: string): string {
  const all = NAV.flatMap((entry) => [entry, ...(entry.children ?? [])]).map((entry) => entry.path);
  return (
    all
      .filter(
        (path) => path === pathname || (path !== '/' && pathname.startsWith(`${path}/`)) || path === pathname,
      )
      .sort((a, b) => b.length - a.length)[0] ?? '/'
  );
}

export function AppLayout() {
  const { user, can, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const selected = selectedKey(location.pathname);
  const open = NAV.filter((entry) => entry.children && selected.startsWith(entry.path)).map(
    (entry) => entry.path,
  );
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={208} theme="dark" breakpoint="lg" collapsedWidth={0}>
        <div style={{ color: '#fff', fontSize: 18, fontWeight: 600, padding: '18px 24px' }}>医档</div>
        <nav aria-label="主导航">
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={[selected]}
            defaultOpenKeys={open}
            items={menuItems(NAV, can)}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 24px',
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
          }}
        >
          <Typography.Text strong>医保业务档案管理系统</Typography.Text>
          <Space>
            <Link to="/profile" aria-label="我的账户">
              <UserOutlined /> {user?.displayName ?? user?.username}
            </Link>
            {user?.roles.map((role) => (
              <Tag key={role}>{ROLE_NAMES[role] ?? role}</Tag>
            ))}
            <Button
              icon={<LogoutOutlined />}
              onClick={() => {
                void signOut().then(() => navigate('/login'));
              }}
            >
              退出
            </Button>
          </Space>
        </Layout.Header>
        {/* Layout.Content is the page's <main> landmark. */}
        <Layout.Content style={{ margin: 24 }}>
          <Suspense fallback={<Spin size="large" style={{ display: 'block', margin: '80px auto' }} />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
