import { Link } from 'react-router';
import type { Bot, Schemas, Stats, Totals } from '../api/client';
import { Alert, Spinner, Stat } from '../components/ui';
import { BotCard } from '../features/bots/BotCard';
import { useBots, useStats } from '../features/bots/queries';
import { type LiveMap, useLiveMap } from '../features/live/LiveProvider';
import { type LiveBot, liveFromBot } from '../features/live/types';
import { money, num, signedMoney, tone } from '../lib/format';

type Money = Schemas['GroupTotalsOut']['money'];

// P&L in different quote assets, or in real and in simulated money, do not add up: the totals
// are shown per quote asset and kind of money, in the order the API gives its groups.
const MONEY_ORDER: Money[] = ['real', 'test', 'simulated'];
const MONEY_OF_MODE: Record<string, Money> = { live: 'real', testnet: 'test', paper: 'simulated', demo: 'simulated' };
const MONEY_LABEL: Record<Money, string> = { real: 'real money', test: 'testnet money', simulated: 'simulated money' };
const ZERO: Totals = { realised_pnl: '0', fees: '0', trades: 0, wins: 0, losses: 0 };
// Cents for fiat and its stablecoins; a crypto quote (BTC, ETH, ...) to the satoshi.
const CENT_QUOTES = new Set(['USDT', 'USDC', 'FDUSD', 'TUSD', 'BUSD', 'DAI', 'USD', 'EUR', 'GBP', 'TRY', 'BRL']);
const digitsOf = (quote: string) => (CENT_QUOTES.has(quote) ? 2 : 8);

interface Group {
  quote: string;
  money: Money;
  bots: LiveBot[];
  stats: Pick<Schemas['GroupTotalsOut'], 'today' | 'all_time'> | undefined;
}

const quoteOf = (symbol: string) => symbol.split('/')[1] ?? '';

/** The bots (as they are now) and the API's totals, per quote asset and kind of money. */
function groupTotals(bots: Bot[], live: LiveMap, stats: Stats | undefined): Group[] {
  const groups = new Map<string, Group>();
  const group = (quote: string, m: Money) => {
    const key = `${quote} ${m}`;
    const found = groups.get(key) ?? { quote, money: m, bots: [], stats: stats && { today: ZERO, all_time: ZERO } };
    groups.set(key, found);
    return found;
  };
  for (const b of bots) {
    const view = live[b.id] ?? liveFromBot(b);
    group(quoteOf(view.symbol), MONEY_OF_MODE[view.mode] ?? 'real').bots.push(view);
  }
  for (const g of stats?.groups ?? []) group(g.quote, g.money).stats = g;
  return [...groups.values()].sort(
    (a, b) => MONEY_ORDER.indexOf(a.money) - MONEY_ORDER.indexOf(b.money) || a.quote.localeCompare(b.quote),
  );
}

function liveTotals(bots: LiveBot[]) {
  let daily = 0;
  let open = 0;
  let trades = 0;
  let active = 0;
  for (const b of bots) {
    daily += num(b.daily_pnl) ?? 0;
    open += num(b.open_pnl) ?? 0;
    trades += b.daily_trades_count;
    if (b.is_active) active += 1;
  }
  return { daily, open, trades, active };
}

type Heading = 'h2' | 'h3';

function Now({ bots, digits, heading: H }: { bots: LiveBot[]; digits: number; heading: Heading }) {
  const t = liveTotals(bots);
  return (
    <section className="card totals__group" aria-label="Now" data-testid="totals-now">
      <H className="card__title">Today, live</H>
      <dl className="stats">
        <Stat label="Daily P&L" value={signedMoney(t.daily, digits)} tone={tone(t.daily)} testId="total-daily-pnl" />
        <Stat label="Open P&L" value={signedMoney(t.open, digits)} tone={tone(t.open)} testId="total-open-pnl" />
        <Stat label="Trades today" value={t.trades} />
        <Stat label="Running" value={`${t.active} / ${bots.length}`} />
      </dl>
    </section>
  );
}

interface SummaryProps {
  title: string;
  s: Totals;
  digits: number;
  testId: string;
  heading: Heading;
}

function Summary({ title, s, digits, testId, heading: H }: SummaryProps) {
  const rate = s.wins + s.losses > 0 ? `${Math.round((100 * s.wins) / (s.wins + s.losses))} %` : '—';
  return (
    <section className="card totals__group" aria-label={title} data-testid={testId}>
      <H className="card__title">{title}</H>
      <dl className="stats">
        <Stat label="Realised P&L" value={signedMoney(s.realised_pnl, digits)} tone={tone(s.realised_pnl)} />
        <Stat label="Fees" value={money(s.fees, digits)} />
        <Stat label="Trades" value={s.trades} />
        <Stat label="Win rate" value={rate} />
      </dl>
    </section>
  );
}

function GroupCards({ g, heading }: { g: Group; heading: Heading }) {
  const digits = digitsOf(g.quote);
  return (
    <>
      {g.bots.length > 0 && <Now bots={g.bots} digits={digits} heading={heading} />}
      {g.stats && <Summary title="Today" s={g.stats.today} digits={digits} testId="totals-today" heading={heading} />}
      {g.stats && <Summary title="All time" s={g.stats.all_time} digits={digits} testId="totals-all-time" heading={heading} />}
    </>
  );
}

/** One row of totals per group; a user with a single group sees no group titles. */
function TotalsRows({ groups }: { groups: Group[] }) {
  if (groups.length === 1) {
    return (
      <section className="totals" aria-label="Totals">
        <GroupCards g={groups[0]!} heading="h2" />
      </section>
    );
  }
  return (
    <section aria-label="Totals">
      {groups.map((g) => {
        const id = `totals-${g.quote}-${g.money}`;
        return (
          <section key={id} aria-labelledby={`${id}-title`} data-testid={id}>
            <h2 id={`${id}-title`} className="totals__title">
              {g.quote}, {MONEY_LABEL[g.money]}
            </h2>
            <div className="totals">
              <GroupCards g={g} heading="h3" />
            </div>
          </section>
        );
      })}
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
          <TotalsRows groups={groupTotals(list, live, stats.data)} />
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
