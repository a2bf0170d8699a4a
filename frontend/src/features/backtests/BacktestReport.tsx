import { lazy, Suspense, useMemo } from 'react';
import type { BacktestDetail, BacktestMetrics } from '../../api/client';
import { Spinner, Stat, TableWrap } from '../../components/ui';
import { dateTime, money, price, reasonText, signedMoney, tone } from '../../lib/format';
import type { ChartView } from '../charts/types';
import { tradesCsvUrl } from './queries';

const CandleChart = lazy(() => import('../charts/CandleChart'));
const LineChart = lazy(() => import('../charts/LineChart'));

const pct = (v: string | number | null) => (v === null || !Number.isFinite(Number(v)) ? '—' : `${Number(v).toFixed(2)} %`);
const fixed = (v: string | number | null) => (v === null || !Number.isFinite(Number(v)) ? '—' : Number(v).toFixed(2));

/** A duration in seconds, as its two largest units ("2 d 4 h", "35 min"). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.round((seconds % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${Math.max(1, m)} min`;
}

type Metric = [label: string, value: (m: BacktestMetrics) => string, tone?: (m: BacktestMetrics) => string];

const METRICS: Metric[] = [
  ['Return', (m) => pct(m.total_return_perc), (m) => tone(m.total_return_perc)],
  ['Buy and hold', (m) => pct(m.buy_and_hold_perc), (m) => tone(m.buy_and_hold_perc)],
  ['CAGR', (m) => pct(m.cagr_perc)],
  ['Trades', (m) => String(m.num_trades)],
  ['Win rate', (m) => pct(m.win_rate_perc)],
  ['Profit factor', (m) => (m.profit_factor === null ? (m.num_trades ? '∞ (no loss)' : '—') : fixed(m.profit_factor))],
  ['Expectancy', (m) => signedMoney(m.expectancy), (m) => tone(m.expectancy)],
  ['Max drawdown', (m) => pct(m.max_drawdown_perc)],
  ['Sharpe (daily)', (m) => fixed(m.sharpe)],
  ['Sortino (daily)', (m) => fixed(m.sortino)],
  ['Fees', (m) => money(m.total_fees)],
  ['Final balance', (m) => `${money(m.final_balance)} (from ${money(m.initial_balance)})`],
  ['Exposure', (m) => pct(m.exposure_perc)],
  ['Average trade', (m) => duration(m.avg_trade_seconds)],
  ['Longest trade', (m) => duration(m.longest_trade_seconds)],
];

/** A finished job's report: metrics, price chart with its trades, equity curve, trade list. */
export function BacktestReport({ bt }: { bt: BacktestDetail }) {
  const r = bt.result;
  const symbol = String(bt.params.symbol ?? '');
  const timeframe = String(bt.params.timeframe ?? '');
  const chart = useMemo<ChartView | null>(() => (r ? { candles: r.candles, markers: r.markers, levels: null } : null), [r]);
  const equity = useMemo(() => (r?.equity ?? []).map((p) => ({ time: p.time, value: p.equity })), [r]);
  if (!r || !chart) return null;
  return (
    <section className="card" aria-labelledby="report-title" data-testid="backtest-report">
      <div className="page-head">
        <h2 id="report-title" className="card__title">
          Report #{bt.id}: {symbol} {timeframe}, {r.bars.toLocaleString()} candles
        </h2>
        <a className="btn btn--secondary" href={tradesCsvUrl(bt.id)} download data-testid="trades-csv">
          Download trades.csv
        </a>
      </div>
      <p className="muted">
        {dateTime(r.start)} to {dateTime(r.end)}
        {r.step_seconds > 0 && r.candles.length > 0 ? `; chart candles of ${duration(r.step_seconds)}` : ''}
      </p>
      <dl className="stats stats--wide" data-testid="backtest-metrics">
        {METRICS.map(([label, value, t]) => (
          <Stat key={label} label={label} value={value(r.metrics)} tone={t?.(r.metrics)} />
        ))}
      </dl>
      <Suspense fallback={<Spinner label="Loading the charts" />}>
        <CandleChart data={chart} label={`${symbol} candles with the backtest's trades`} height={360} />
        {equity.length > 0 && <LineChart points={equity} label="Equity curve" testId="equity-chart" />}
      </Suspense>
      <h3>Trades</h3>
      {r.trades.length === 0 ? (
        <p className="muted">The strategy made no trade over this span.</p>
      ) : (
        <TableWrap label="Backtest trades">
          <table className="table" data-testid="backtest-trades">
            <thead>
              <tr>
                <th scope="col">Entry</th>
                <th scope="col">Exit</th>
                <th scope="col" className="num">
                  Entry price
                </th>
                <th scope="col" className="num">
                  Exit price
                </th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col" className="num">
                  P&amp;L
                </th>
                <th scope="col" className="num">
                  Return
                </th>
                <th scope="col">Reasons</th>
              </tr>
            </thead>
            <tbody>
              {r.trades.map((t, i) => (
                <tr key={`${t.entry_time}-${i}`}>
                  <td>{dateTime(t.entry_time)}</td>
                  <td>{dateTime(t.exit_time)}</td>
                  <td className="num">{price(t.entry_price)}</td>
                  <td className="num">{price(t.exit_price)}</td>
                  <td className="num">{t.quantity}</td>
                  <td className={`num tone-${tone(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                  <td className={`num tone-${tone(t.return_perc)}`}>{pct(t.return_perc)}</td>
                  <td>
                    {reasonText(t.entry_reason)} → {reasonText(t.exit_reason)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
