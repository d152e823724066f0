import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import type { MenuProps } from 'antd';
import { Button, Layout, Menu, Space, Spin, Tag, Typography } from 'antd';
import { Suspense, useEffect, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { NoticeBell } from '../pages/notices/NoticeBell';
import { useAuth } from './auth';
import { ROLE_NAMES } from './labels';
import { allowed, NAV, type NavEntry, sectionOf, selectedEntry } from './nav';

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

export function AppLayout() {
  const { user, can, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const selected = selectedEntry(location.pathname);
  const section = sectionOf(selected);
  // Sections the user opened stay open; the one holding the page shown opens whenever it is reached
  // (by a link in a page as well as by the menu).
  const [open, setOpen] = useState<string[]>(section ? [section] : []);
  useEffect(() => {
    if (section) setOpen((current) => (current.includes(section) ? current : [...current, section]));
  }, [section]);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={208} theme="dark" breakpoint="lg" collapsedWidth={0}>
        <div style={{ color: '#fff', fontSize: 18, fontWeight: 600, padding: '18px 24px' }}>医档</div>
        <nav aria-label="主导航">
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={selected ? [selected.path] : []}
            openKeys={open}
            onOpenChange={setOpen}
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
          <Space size="middle">
            <NoticeBell />
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
