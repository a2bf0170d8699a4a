import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useParams } from 'react-router';
import { ApiError } from './api/client';
import { Layout } from './components/Layout';
import { RouteFocus } from './components/RouteFocus';
import { Spinner } from './components/ui';
import { useMe } from './features/auth/session';
import { useBot } from './features/bots/queries';
import { LiveProvider } from './features/live/LiveProvider';
import { usePageTitle } from './lib/usePageTitle';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { AuthPage } from './pages/AuthPage';
import { BacktestPage } from './pages/BacktestPage';
import { BotDetailPage } from './pages/BotDetailPage';
import { BotCreatePage, BotEditPage } from './pages/BotEditPage';
import { DashboardPage } from './pages/DashboardPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/SettingsPage';

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

function Titled({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title);
  return children;
}

/** A bot's page, titled with the bot's name once it is known (`prefix` + name). */
function BotTitled({ prefix = '', children }: { prefix?: string; children: ReactNode }) {
  const bot = useBot(Number(useParams().id));
  usePageTitle(bot.data ? `${prefix}${bot.data.name}` : 'Bot');
  return children;
}

export function AppRoutes() {
  return (
    <>
      <RouteFocus />
      <Routes>
        <Route path="/login" element={<GuestOnly><Titled title="Sign in"><AuthPage mode="login" /></Titled></GuestOnly>} />
        <Route path="/register" element={<GuestOnly><Titled title="Create an account"><AuthPage mode="register" /></Titled></GuestOnly>} />
        <Route element={<RequireAuth />}>
          <Route element={<Layout />}>
            <Route index element={<Titled title="Dashboard"><DashboardPage /></Titled>} />
            <Route path="/bots/new" element={<Titled title="New bot"><BotCreatePage /></Titled>} />
            <Route path="/bots/:id" element={<BotTitled><BotDetailPage /></BotTitled>} />
            <Route path="/bots/:id/edit" element={<BotTitled prefix="Edit "><BotEditPage /></BotTitled>} />
            <Route path="/api-keys" element={<Titled title="API keys"><ApiKeysPage /></Titled>} />
            <Route path="/backtests" element={<Titled title="Backtest"><BacktestPage /></Titled>} />
            <Route path="/settings" element={<Titled title="Settings"><SettingsPage /></Titled>} />
            <Route path="*" element={<Titled title="Not found"><NotFoundPage /></Titled>} />
          </Route>
        </Route>
      </Routes>
    </>
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
