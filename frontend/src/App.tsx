import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api/client';
import { Layout } from './components/Layout';
import { Spinner } from './components/ui';
import { useMe } from './features/auth/session';
import { LiveProvider } from './features/live/LiveProvider';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { AuthPage } from './pages/AuthPage';
import { BacktestPage } from './pages/BacktestPage';
import { BotDetailPage } from './pages/BotDetailPage';
import { BotCreatePage, BotEditPage } from './pages/BotEditPage';
import { DashboardPage } from './pages/DashboardPage';
import { NotFoundPage } from './pages/NotFoundPage';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The status stream keeps bots fresh; refetch on focus only what it does not carry.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
      },
    },
  });
}

/** The signed-in part: the live stream runs while any of it is shown. */
function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Spinner label="Loading" />;
  if (!me.data) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return (
    <LiveProvider>
      <Outlet />
    </LiveProvider>
  );
}

function GuestOnly({ children }: { children: React.ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Spinner label="Loading" />;
  return me.data ? <Navigate to="/" replace /> : children;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<GuestOnly><AuthPage mode="login" /></GuestOnly>} />
      <Route path="/register" element={<GuestOnly><AuthPage mode="register" /></GuestOnly>} />
      <Route element={<RequireAuth />}>
        <Route element={<Layout />}>
          <Route index element={<DashboardPage />} />
          <Route path="/bots/new" element={<BotCreatePage />} />
          <Route path="/bots/:id" element={<BotDetailPage />} />
          <Route path="/bots/:id/edit" element={<BotEditPage />} />
          <Route path="/api-keys" element={<ApiKeysPage />} />
          <Route path="/backtests" element={<BacktestPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </QueryClientProvider>
  );
}
