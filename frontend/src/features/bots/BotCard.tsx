import { useState } from 'react';
import { Link } from 'react-router';
import type { Bot } from '../../api/client';
import { ApiError } from '../../api/client';
import { RelativeTime } from '../../components/RelativeTime';
import { Alert, Button, ConfirmDialog, LiveDot, ModeBadge, StatusBadge } from '../../components/ui';
import { reasonText, signedMoney, tone } from '../../lib/format';
import { useBotLive, useLiveStatus } from '../live/LiveProvider';
import { PositionFields } from './PositionFields';
import { useStartStop } from './queries';

/** One bot on the dashboard: what it holds, how it does today, start and stop. */
export function BotCard({ bot }: { bot: Bot }) {
  const live = useBotLive(bot)!;
  const stream = useLiveStatus();
  const startStop = useStartStop();
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const trades = `${live.daily_trades_count}${bot.max_daily_trades ? ` / ${bot.max_daily_trades}` : ''}`;

  async function act(action: 'start' | 'stop') {
    setError(null);
    setConfirm(false);
    try {
      await startStop.mutateAsync({ id: bot.id, action });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The server cannot be reached.');
    }
  }

  return (
    <article className="card bot-card" data-testid={`bot-card-${bot.id}`} aria-labelledby={`bot-${bot.id}-name`}>
      <header className="bot-card__head">
        <LiveDot status={live.is_active ? stream : 'offline'} compact testId="bot-live-dot" />
        <h2 id={`bot-${bot.id}-name`} className="bot-card__name">
          <Link to={`/bots/${bot.id}`}>{live.name}</Link>
        </h2>
        <ModeBadge mode={live.mode} />
        <StatusBadge status={live.status} />
      </header>
      <p className="bot-card__market">
        {live.symbol} · {bot.timeframe}
      </p>
      <dl className="kv">
        <div>
          <dt>Open P&amp;L</dt>
          <dd className={`tone-${tone(live.open_pnl)}`} data-testid="open-pnl">
            {live.in_position ? signedMoney(live.open_pnl) : '—'}
          </dd>
        </div>
        <div>
          <dt>Daily P&amp;L</dt>
          <dd className={`tone-${tone(live.daily_pnl)}`} data-testid="daily-pnl">
            {signedMoney(live.daily_pnl)}
          </dd>
        </div>
        <div>
          <dt>Trades today</dt>
          <dd data-testid="trades-today">{trades}</dd>
        </div>
        <div>
          <dt>Last trade</dt>
          <dd data-testid="last-trade">
            <RelativeTime value={live.last_trade_at} />
          </dd>
        </div>
      </dl>
      {live.in_position && (
        <dl className="kv kv--position" aria-label="Position" data-testid="position">
          <PositionFields live={live} />
        </dl>
      )}
      {live.pending_order && <Alert tone="info">An order ({live.pending_order.side}) awaits its outcome.</Alert>}
      {live.last_error_message && (
        <p className="bot-card__error" data-testid="last-error">
          Last error: {live.last_error_message}
        </p>
      )}
      {!live.is_active && live.stop_reason && <p className="muted" data-testid="stop-reason">Stopped: {reasonText(live.stop_reason)}</p>}
      {error && <Alert>{error}</Alert>}
      <footer className="bot-card__actions">
        {live.is_active ? (
          <Button
            variant="danger"
            busy={startStop.isPending}
            onClick={() => (live.in_position ? setConfirm(true) : void act('stop'))}
            aria-label={`Stop ${live.name}`}
          >
            Stop
          </Button>
        ) : (
          <Button variant="primary" busy={startStop.isPending} onClick={() => void act('start')} aria-label={`Start ${live.name}`}>
            Start
          </Button>
        )}
        <Link className="btn btn--ghost" to={`/bots/${bot.id}`}>
          Details
        </Link>
      </footer>
      <ConfirmDialog
        open={confirm}
        title={`Stop ${live.name}?`}
        confirmLabel="Stop the bot"
        onConfirm={() => void act('stop')}
        onCancel={() => setConfirm(false)}
        busy={startStop.isPending}
      >
        <p>The bot holds a position in {live.symbol}. Stopping it leaves the position open and unmanaged until you start it again.</p>
      </ConfirmDialog>
    </article>
  );
}
