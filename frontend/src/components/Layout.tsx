import { NavLink, Outlet, useNavigate } from 'react-router';
import { useLogout, useMe } from '../features/auth/session';
import { useLiveStatus } from '../features/live/LiveProvider';
import { Button, LiveDot } from './ui';

/** The signed-in frame: navigation, the live dot, the account and sign-out. */
export function Layout() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const status = useLiveStatus();
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          tradebot
        </NavLink>
        <nav aria-label="Main" className="topbar__nav">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/bots/new">New bot</NavLink>
          <NavLink to="/backtests">Backtest</NavLink>
          <NavLink to="/api-keys">API keys</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <div className="topbar__end">
          <LiveDot status={status} />
          <span className="muted topbar__user">{me.data?.email}</span>
          <Button
            variant="ghost"
            busy={logout.isPending}
            onClick={() => logout.mutate(undefined, { onSettled: () => void navigate('/login', { replace: true }) })}
          >
            Sign out
          </Button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
