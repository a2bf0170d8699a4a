import { lazy, Suspense, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, type Bot, type Levels, isStatus } from '../api/client';
import { Alert, Button, ConfirmDialog, LiveDot, ModeBadge, Spinner, StatusBadge } from '../components/ui';
import { ErrorHistory } from '../features/bots/ErrorHistory';
import { PositionFields } from '../features/bots/PositionFields';
import { BotTrades } from '../features/bots/TradesTable';
import { useBot, useBotChart, useBotPnl, useDeleteBot, useStartStop } from '../features/bots/queries';
import { useBotLive, useLiveStatus } from '../features/live/LiveProvider';
import type { LiveBot } from '../features/live/types';
import { dateTime, num, percent, reasonText, signedMoney, tone } from '../lib/format';
import { idParam } from '../features/bots/validation';
import { NotFoundPage } from './NotFoundPage';

const CandleChart = lazy(() => import('../features/charts/CandleChart'));
const LineChart = lazy(() => import('../features/charts/LineChart'));

function Settings({ bot }: { bot: Bot }) {
  const rows: [string, string][] = [
    ['Symbol', bot.symbol],
    ['Timeframe', bot.timeframe],
    ['Mode', bot.mode],
    ['Position size', bot.position_size_fixed ? `${bot.position_size_fixed} (fixed)` : percent(bot.position_size_perc)],
    ['Stop-loss', percent(bot.stop_loss_perc)],
    ['Take-profit', percent(bot.take_profit_perc)],
    ['Trailing stop', bot.trailing_stop_perc ? `${percent(bot.trailing_stop_perc)}${bot.trailing_stop_active ? '' : ' (off)'}` : 'off'],
    ['EMA fast / slow', `${bot.ema_fast} / ${bot.ema_slow}`],
    ['RSI period', String(bot.rsi_period)],
    ['RSI oversold / overbought', `${bot.rsi_oversold} / ${bot.rsi_overbought}`],
    ['Daily target', percent(bot.daily_target_perc)],
    ['Max daily loss', percent(bot.max_daily_loss_perc)],
    ['Max daily trades', bot.max_daily_trades ? String(bot.max_daily_trades) : 'no limit'],
    ['Initial capital', bot.initial_capital ?? 'simulated default'],
    ['Check interval', `${bot.check_interval_seconds} s`],
  ];
  return (
    <dl className="kv kv--settings" data-testid="bot-settings">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The open position's levels from the live state, so the chart's price lines follow each
 * state event without a chart refetch; null while flat. */
function usePositionLevels(live: LiveBot): Levels | null {
  const { in_position, entry_price, stop_loss_price, take_profit_price, trailing_stop_price } = live;
  return useMemo(
    () =>
      in_position
        ? { entry: num(entry_price), stop_loss: num(stop_loss_price), take_profit: num(take_profit_price), trailing_stop: num(trailing_stop_price) }
        : null,
    [in_position, entry_price, stop_loss_price, take_profit_price, trailing_stop_price],
  );
}

export function BotDetailPage() {
  const id = idParam(useParams().id);
  // An id the API could not hold is not looked up: no bot has it.
  return id === null ? <NotFoundPage what="bot" /> : <BotLoader id={id} />;
}

function BotLoader({ id }: { id: number }) {
  const bot = useBot(id);
  if (isStatus(bot.error, 404) || isStatus(bot.error, 422)) return <NotFoundPage what="bot" />;
  if (bot.isPending) return <Spinner label="Loading the bot" />;
  if (bot.isError) return <Alert>The bot could not be loaded: {bot.error.message}</Alert>;
  return <BotDetail bot={bot.data} />;
}

function BotDetail({ bot }: { bot: Bot }) {
  const live = useBotLive(bot)!;
  const stream = useLiveStatus();
  const chart = useBotChart(bot.id);
  const pnl = useBotPnl(bot);
  const startStop = useStartStop();
  const del = useDeleteBot();
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState<null | 'stop' | 'delete'>(null);
  const [error, setError] = useState<string | null>(null);
  const rsiLevels = useMemo<[number, number]>(() => [bot.rsi_oversold, bot.rsi_overbought], [bot.rsi_oversold, bot.rsi_overbought]);
  const levels = usePositionLevels(live);

  async function run(action: 'start' | 'stop' | 'delete') {
    setConfirm(null);
    setError(null);
    try {
      if (action === 'delete') {
        await del.mutateAsync(bot.id);
        void navigate('/', { replace: true });
      } else await startStop.mutateAsync({ id: bot.id, action });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The server cannot be reached.');
    }
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>
            {live.name} <ModeBadge mode={live.mode} /> <StatusBadge status={live.status} />
          </h1>
          <p className="muted">
            {bot.symbol} · {bot.timeframe} · <LiveDot status={live.is_active ? stream : 'offline'} compact testId="bot-live-dot" />
          </p>
        </div>
        <div className="actions">
          {live.is_active ? (
            <Button variant="danger" busy={startStop.isPending} onClick={() => (live.in_position ? setConfirm('stop') : void run('stop'))}>
              Stop
            </Button>
          ) : (
            <Button variant="primary" busy={startStop.isPending} onClick={() => void run('start')}>
              Start
            </Button>
          )}
          <Link className="btn btn--secondary" to={`/bots/${bot.id}/edit`}>
            Edit
          </Link>
          <Button variant="ghost" onClick={() => setConfirm('delete')} disabled={live.is_active} title={live.is_active ? 'Stop the bot before deleting it' : undefined}>
            Delete
          </Button>
        </div>
      </div>
      {error && <Alert>{error}</Alert>}
      <section className="cols">
        <section className="card" aria-labelledby="state-title" data-testid="bot-state">
          <h2 id="state-title" className="card__title">
            Now
          </h2>
          <dl className="kv">
            <div>
              <dt>Daily P&amp;L</dt>
              <dd className={`tone-${tone(live.daily_pnl)}`}>{signedMoney(live.daily_pnl)}</dd>
            </div>
            <div>
              <dt>Open P&amp;L</dt>
              <dd className={`tone-${tone(live.open_pnl)}`}>{live.in_position ? signedMoney(live.open_pnl) : '—'}</dd>
            </div>
            <div>
              <dt>Trades today</dt>
              <dd>
                {live.daily_trades_count}
                {bot.max_daily_trades ? ` / ${bot.max_daily_trades}` : ''}
              </dd>
            </div>
            <div>
              <dt>Last trade</dt>
              <dd>{dateTime(live.last_trade_at)}</dd>
            </div>
            <PositionFields live={live} />
            <div>
              <dt>Stop reason</dt>
              <dd>{reasonText(live.stop_reason)}</dd>
            </div>
          </dl>
        </section>
        <section className="card" aria-labelledby="settings-title">
          <h2 id="settings-title" className="card__title">
            Settings
          </h2>
          <Settings bot={bot} />
        </section>
      </section>
      <section className="card" aria-labelledby="chart-title">
        <h2 id="chart-title" className="card__title">
          {bot.symbol} {bot.timeframe}, closed candles
        </h2>
        {chart.isPending ? (
          <Spinner label="Loading the chart" />
        ) : chart.isError ? (
          <p className="muted">The chart is not available: {chart.error.message}</p>
        ) : (
          <Suspense fallback={<Spinner label="Loading the chart" />}>
            <CandleChart data={chart.data} levels={levels} emaFast={bot.ema_fast} emaSlow={bot.ema_slow} rsiLevels={rsiLevels} label={`${bot.symbol} candles with EMA ${bot.ema_fast}/${bot.ema_slow}, RSI and trades`} />
          </Suspense>
        )}
      </section>
      <section className="card" aria-labelledby="pnl-title">
        <h2 id="pnl-title" className="card__title">
          Cumulative realised P&amp;L, by UTC day
        </h2>
        {pnl.isPending ? (
          <Spinner label="Loading the P&L" />
        ) : pnl.isError ? (
          <p className="muted">The P&amp;L is not available: {pnl.error.message}</p>
        ) : pnl.data.length > 0 ? (
          <Suspense fallback={<Spinner label="Loading the chart" />}>
            <LineChart points={pnl.data} label="Cumulative realised P&L by UTC day" testId="pnl-chart" />
          </Suspense>
        ) : (
          <p className="muted">No realised P&amp;L yet: it starts with the first exit.</p>
        )}
      </section>
      <section className="card" aria-labelledby="trades-title">
        <h2 id="trades-title" className="card__title">
          Trades
        </h2>
        <BotTrades botId={bot.id} />
      </section>
      <section className="card" aria-labelledby="errors-title" data-testid="error-history">
        <h2 id="errors-title" className="card__title">
          Errors
        </h2>
        <ErrorHistory botId={bot.id} lastError={live.last_error_message} retries={live.retry_count} stoppedOnError={live.status === 'error'} />
      </section>
      <ConfirmDialog
        open={confirm !== null}
        title={confirm === 'delete' ? `Delete ${live.name}?` : `Stop ${live.name}?`}
        confirmLabel={confirm === 'delete' ? 'Delete the bot' : 'Stop the bot'}
        onConfirm={() => void run(confirm ?? 'stop')}
        onCancel={() => setConfirm(null)}
        busy={startStop.isPending || del.isPending}
      >
        <p>
          {confirm === 'delete'
            ? 'Its settings are removed; its trades stay in your history.'
            : `The bot holds a position in ${bot.symbol}. Stopping it leaves the position open and unmanaged until you start it again.`}
        </p>
      </ConfirmDialog>
    </>
  );
}
