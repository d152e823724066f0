import { Result, Spin } from 'antd';
import { lazy, type ReactNode, Suspense } from 'react';
import { createBrowserRouter, Navigate, useLocation } from 'react-router-dom';
import { AppLayout } from './AppLayout';
import { useAuth } from './auth';
import { FirstSignInPage } from './FirstSignInPage';
import { LoginPage } from './LoginPage';
import { VocabularyGate } from './vocabulary';

// Each page is its own chunk, so the first screen loads only the shell and the page it shows.
const DashboardPage = lazy(() => import('../pages/dashboard/DashboardPage'));
const ItemsPage = lazy(() => import('../pages/items/ItemsPage'));
const ItemDetailPage = lazy(() => import('../pages/items/ItemDetailPage'));
const SearchPage = lazy(() => import('../pages/search/SearchPage'));
const FilingPage = lazy(() => import('../pages/filing/FilingPage'));
const ImportPage = lazy(() => import('../pages/filing/ImportPage'));
const ScansPage = lazy(() => import('../pages/filing/ScansPage'));
const PovertyPage = lazy(() => import('../pages/poverty/PovertyPage'));
const ApprovalsPage = lazy(() => import('../pages/approvals/ApprovalsPage'));
const AuditPage = lazy(() => import('../pages/audit/AuditPage'));
const UsersPage = lazy(() => import('../pages/admin/UsersPage'));
const CategoriesPage = lazy(() => import('../pages/admin/CategoriesPage'));
const RetentionPage = lazy(() => import('../pages/admin/RetentionPage'));
const FondsPage = lazy(() => import('../pages/admin/FondsPage'));
const SystemPage = lazy(() => import('../pages/admin/SystemPage'));
const ProfilePage = lazy(() => import('../pages/profile/ProfilePage'));
const InboxPage = lazy(() => import('../pages/notices/InboxPage'));
const OverduePage = lazy(() => import('../pages/lending/OverduePage'));
const LoanRequestPage = lazy(() => import('../pages/lending/LoanRequestPage'));
const MyLoansPage = lazy(() => import('../pages/lending/MyLoansPage'));
const LoanApprovalsPage = lazy(() => import('../pages/lending/LoanApprovalsPage'));
const LoanDeskPage = lazy(() => import('../pages/lending/LoanDeskPage'));
const ExpiryPage = lazy(() => import('../pages/disposition/ExpiryPage'));
const RoundsPage = lazy(() => import('../pages/disposition/RoundsPage'));
const RoundPage = lazy(() => import('../pages/disposition/RoundPage'));
const RegistersPage = lazy(() => import('../pages/disposition/RegistersPage'));
const RegisterPage = lazy(() => import('../pages/disposition/RegisterPage'));
const HoldsPage = lazy(() => import('../pages/disposition/HoldsPage'));
const TransferPage = lazy(() => import('../pages/transfer/TransferPage'));
const TransferBatchPage = lazy(() => import('../pages/transfer/TransferBatchPage'));
const ReceivePage = lazy(() => import('../pages/transfer/ReceivePage'));
const ForecastPage = lazy(() => import('../pages/fund/ForecastPage'));
const SettlementsPage = lazy(() => import('../pages/fund/SettlementsPage'));
const SettlementPage = lazy(() => import('../pages/fund/SettlementPage'));
const AnomalyPage = lazy(() => import('../pages/fund/AnomalyPage'));
const RulesPage = lazy(() => import('../pages/fund/RulesPage'));
const UseStatsPage = lazy(() => import('../pages/use/UseStatsPage'));
const KpiPage = lazy(() => import('../pages/kpi/KpiPage'));
const CasesPage = lazy(() => import('../pages/fund/CasesPage'));
const CasePage = lazy(() => import('../pages/fund/CasePage'));
const InsuredLayout = lazy(() => import('../pages/insured/InsuredLayout'));
const InsuredHomePage = lazy(() => import('../pages/insured/InsuredHomePage'));
const InsuredViewsPage = lazy(() => import('../pages/insured/InsuredViewsPage'));
const InsuredCopiesPage = lazy(() => import('../pages/insured/InsuredCopiesPage'));
const CopyCheckPage = lazy(() => import('../pages/insured/CopyCheckPage'));

/** An account that is only a 参保人 starts in its own phone-width window, not the staff console. */
function Home() {
  const { user } = useAuth();
  if (user?.roles.length === 1 && user.roles[0] === 'insured') return <Navigate to="/insured" replace />;
  return <DashboardPage />;
}

function RequireSignIn({ children }: { children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Spin size="large" style={{ display: 'block', margin: '120px auto' }} />;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (user.mustChangePassword || user.mustEnrolTotp) return <FirstSignInPage />;
  return <VocabularyGate>{children}</VocabularyGate>;
}

/** A page the user's roles do not cover says so, rather than showing controls that would fail. */
function Permitted({ anyOf, children }: { anyOf: string[]; children: ReactNode }) {
  const { can } = useAuth();
  if (!anyOf.some(can))
    return (
      <Result status="403" title="无权访问" subTitle="您的角色不包含此功能，如需使用请联系安全保密员授权。" />
    );
  return children;
}

const REGISTER_READERS = [
  'appraisal.work',
  'destruction.approve',
  'destruction.witness',
  'destruction.carry',
];

const page = (anyOf: string[], element: ReactNode) => <Permitted anyOf={anyOf}>{element}</Permitted>;

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  // Public: anyone holding a certified copy checks its code (no sign-in).
  {
    path: '/copy-check',
    element: (
      <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>
        <CopyCheckPage />
      </Suspense>
    ),
  },
  {
    path: '/insured',
    element: (
      <RequireSignIn>
        <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>
          <InsuredLayout />
        </Suspense>
      </RequireSignIn>
    ),
    children: [
      { index: true, element: <InsuredHomePage /> },
      { path: 'views', element: <InsuredViewsPage /> },
      { path: 'copies', element: <InsuredCopiesPage /> },
    ],
  },
  {
    path: '/',
    element: (
      <RequireSignIn>
        <AppLayout />
      </RequireSignIn>
    ),
    children: [
      { index: true, element: <Home /> },
      { path: 'items', element: page(['item.read'], <ItemsPage />) },
      { path: 'items/:archiveCode', element: page(['item.read'], <ItemDetailPage />) },
      { path: 'search', element: page(['item.read'], <SearchPage />) },
      { path: 'filing', element: <Navigate to="/filing/new" replace /> },
      { path: 'filing/new', element: page(['item.create'], <FilingPage />) },
      { path: 'filing/import', element: page(['item.create'], <ImportPage />) },
      { path: 'filing/scans', element: page(['file.add', 'scan.qc'], <ScansPage />) },
      { path: 'poverty', element: page(['poverty.work'], <PovertyPage />) },
      { path: 'approvals', element: page(['item.read', 'access.grant'], <ApprovalsPage />) },
      { path: 'audit', element: page(['audit.read'], <AuditPage />) },
      { path: 'use', element: page(['use.stats', 'loan.request'], <UseStatsPage />) },
      { path: 'fund/anomalies', element: page(['fund.read'], <AnomalyPage />) },
      { path: 'fund/rules', element: page(['fund.read'], <RulesPage />) },
      { path: 'fund/settlements', element: page(['fund.read'], <SettlementsPage />) },
      { path: 'fund/settlements/:serial', element: page(['fund.read'], <SettlementPage />) },
      { path: 'fund/kpi', element: page(['kpi.read'], <KpiPage />) },
      { path: 'fund/cases', element: page(['fund.read'], <CasesPage />) },
      { path: 'fund/cases/:code', element: page(['fund.read'], <CasePage />) },
      { path: 'admin', element: <Navigate to="/admin/users" replace /> },
      { path: 'admin/users', element: page(['user.manage', 'access.grant'], <UsersPage />) },
      { path: 'admin/categories', element: page(['catalog.manage'], <CategoriesPage />) },
      { path: 'admin/retention', element: page(['catalog.manage'], <RetentionPage />) },
      { path: 'admin/fonds', element: page(['catalog.manage'], <FondsPage />) },
      { path: 'admin/system', element: page(['storage.manage'], <SystemPage />) },
      { path: 'profile', element: <ProfilePage /> },
      { path: 'notices', element: <InboxPage /> },
      { path: 'lending/overdue', element: page(['loan.handle'], <OverduePage />) },
      { path: 'lending/new', element: page(['loan.request'], <LoanRequestPage />) },
      { path: 'lending/mine', element: page(['loan.request'], <MyLoansPage />) },
      { path: 'lending/approvals', element: page(['loan.approve'], <LoanApprovalsPage />) },
      { path: 'lending/desk', element: page(['loan.handle'], <LoanDeskPage />) },
      { path: 'disposition', element: <Navigate to="/disposition/expiry" replace /> },
      { path: 'disposition/expiry', element: page(['appraisal.work'], <ExpiryPage />) },
      { path: 'disposition/rounds', element: page(['appraisal.work'], <RoundsPage />) },
      { path: 'disposition/rounds/:code', element: page(['appraisal.work'], <RoundPage />) },
      { path: 'disposition/registers', element: page(REGISTER_READERS, <RegistersPage />) },
      { path: 'disposition/registers/:code', element: page(REGISTER_READERS, <RegisterPage />) },
      { path: 'disposition/holds', element: page(['hold.manage'], <HoldsPage />) },
      { path: 'transfer', element: <Navigate to="/transfer/batches" replace /> },
      { path: 'transfer/batches', element: page(['transfer.manage'], <TransferPage />) },
      { path: 'transfer/batches/:code', element: page(['transfer.manage'], <TransferBatchPage />) },
      { path: 'transfer/received', element: page(['transfer.receive'], <ReceivePage />) },
      { path: 'fund/forecasts', element: page(['fund.read'], <ForecastPage />) },
      { path: '*', element: <Result status="404" title="页面不存在" subTitle="请从左侧菜单进入。" /> },
    ],
  },
]);
