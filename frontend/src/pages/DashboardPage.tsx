import { Link } from 'react-router';
import type { Bot, Totals } from '../api/client';
import { Alert, Spinner, Stat } from '../components/ui';
import { BotCard } from '../features/bots/BotCard';
import { useBots, useStats } from '../features/bots/queries';
import { type LiveMap, useLiveMap } from '../features/live/LiveProvider';
import { money, num, signedMoney, tone } from '../lib/format';

function liveTotals(bots: Bot[], live: LiveMap) {
  let daily = 0;
  let open = 0;
  let trades = 0;
  let active = 0;
  for (const b of bots) {
    const l = live[b.id];
    daily += num(l?.daily_pnl ?? b.state.daily_pnl) ?? 0;
    open += num(l?.open_pnl) ?? 0;
    trades += l?.daily_trades_count ?? b.state.daily_trades_count;
    if (l?.is_active ?? b.is_active) active += 1;
  }
  return { daily, open, trades, active };
}

function Summary({ title, s, testId }: { title: string; s: Totals | undefined; testId: string }) {
  if (!s) return null;
  const rate = s.wins + s.losses > 0 ? `${Math.round((100 * s.wins) / (s.wins + s.losses))} %` : '—';
  return (
    <section className="card totals__group" aria-label={title} data-testid={testId}>
      <h2 className="card__title">{title}</h2>
      <dl className="stats">
        <Stat label="Realised P&L" value={signedMoney(s.realised_pnl)} tone={tone(s.realised_pnl)} />
        <Stat label="Fees" value={money(s.fees)} />
        <Stat label="Trades" value={s.trades} />
        <Stat label="Win rate" value={rate} />
      </dl>
    </section>
  );
}

export function DashboardPage() {
  const bots = useBots();
  const live = useLiveMap();
  const stats = useStats();
  if (bots.isPending) return <Spinner label="Loading your bots" />;
  if (bots.isError) return <Alert>Your bots could not be loaded: {bots.error.message}</Alert>;
  const list = [...bots.data].sort((a, b) => a.id - b.id);
  const t = liveTotals(list, live);
  return (
    <>
      <div className="page-head">
        <h1>Dashboard</h1>
        <Link className="btn btn--primary" to="/bots/new">
          New bot
        </Link>
      </div>
      {list.length === 0 ? (
        <section className="card empty" data-testid="empty-state">
          <h2>No bots yet</h2>
          <p>
            A bot trades one market with an EMA/RSI strategy, a stop-loss and a take-profit. Start with a <strong>demo</strong> bot: it
            trades the built-in simulated market with simulated money, no exchange key needed.
          </p>
          <Link className="btn btn--primary" to="/bots/new">
            Create your first bot
          </Link>
        </section>
      ) : (
        <>
          <section className="totals" aria-label="Totals">
            <section className="card totals__group" aria-label="Now" data-testid="totals-now">
              <h2 className="card__title">Today, live</h2>
              <dl className="stats">
                <Stat label="Daily P&L" value={signedMoney(t.daily)} tone={tone(t.daily)} testId="total-daily-pnl" />
                <Stat label="Open P&L" value={signedMoney(t.open)} tone={tone(t.open)} testId="total-open-pnl" />
                <Stat label="Trades today" value={t.trades} />
                <Stat label="Running" value={`${t.active} / ${list.length}`} />
              </dl>
            </section>
            <Summary title="Today" s={stats.data?.today} testId="totals-today" />
            <Summary title="All time" s={stats.data?.all_time} testId="totals-all-time" />
          </section>
          <section className="grid" aria-label="Bots" data-testid="bot-cards">
            {list.map((b) => (
              <BotCard key={b.id} bot={b} />
            ))}
          </section>
        </>
      )}
    </>
  );
}
