import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveProvider } from '../features/live/LiveProvider';
import { FakeEventSource, asEventSource } from '../test/fakeEventSource';
import { fakeFetch, json } from '../test/fixtures';
import { renderAt } from '../test/render';
import { BacktestPage } from './BacktestPage';

vi.mock('../features/charts/CandleChart', () => ({ default: ({ data }: { data: { markers: unknown[] } }) => <div data-testid="candle-chart" data-markers={data.markers.length} /> }));
vi.mock('../features/charts/LineChart', () => ({ default: ({ testId }: { testId?: string }) => <div data-testid={testId ?? 'line-chart'} /> }));

const options = { EventSource: asEventSource, initialDelayMs: 10, maxDelayMs: 20, random: () => 1 };
const params = { symbol: 'BTC/USDT', timeframe: '1h', source: 'demo', bars: 500 };
const job = (over: Record<string, unknown> = {}) => ({
  id: 7,
  status: 'queued',
  progress: 0,
  params,
  error: null,
  created_at: '2026-12-01T12:00:00Z',
  started_at: null,
  finished_at: null,
  result: null,
  ...over,
});
const result = {
  bars: 500,
  start: '2026-11-10T00:00:00Z',
  end: '2026-12-01T00:00:00Z',
  metrics: {
    total_return_perc: '4.2',
    buy_and_hold_perc: -1.5,
    num_trades: 1,
    win_rate_perc: '100',
    max_drawdown_perc: 2.25,
    sharpe: 1.234,
    sortino: null,
    profit_factor: null,
    expectancy: '42',
    total_fees: '2',
    initial_balance: '1000',
    final_balance: '1042',
    exposure_perc: 10,
    avg_trade_seconds: 7200,
    longest_trade_seconds: 7200,
    cagr_perc: 95.1,
  },
  trades: [
    {
      entry_time: '2026-11-12T01:00:00Z',
      exit_time: '2026-11-12T03:00:00Z',
      entry_price: '100',
      exit_price: '104.2',
      quantity: '10',
      entry_fee: '1',
      exit_fee: '1',
      pnl: '42',
      return_perc: '4.2',
      entry_reason: 'golden_cross',
      exit_reason: 'take_profit',
    },
  ],
  markers: [
    { time: 1762909200, candle_time: 1762909200, side: 'BUY', price: 100, reason: 'golden_cross' },
    { time: 1762916400, candle_time: 1762916400, side: 'SELL', price: 104.2, reason: 'take_profit' },
  ],
  step_seconds: 3600,
  candles: [{ time: 1762909200, open: 100, high: 105, low: 99, close: 104 }],
  equity: [{ time: 1762912800, equity: 1042 }],
  skipped_entries: {},
};

describe('BacktestPage', () => {
  beforeEach(() => FakeEventSource.reset());
  afterEach(() => vi.unstubAllGlobals());

  it('runs a job, follows its progress on the stream without polling, then shows the report', async () => {
    let stored = job();
    const fetch = fakeFetch({
      'GET /api/v1/bots': [],
      'GET /api/v1/users/me': { id: 1, email: 'a@b.c' },
      'GET /api/v1/backtests': () => json({ items: [stored], next_cursor: null }),
      'POST /api/v1/backtests': () => json(stored, 202),
      'GET /api/v1/backtests/7': () => json(stored),
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(
      <LiveProvider options={options}>
        <BacktestPage />
      </LiveProvider>,
    );
    act(() => FakeEventSource.last.open());
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    const progress = await screen.findByTestId('backtest-progress');
    const body = (await fetch.calls.find((r) => r.method === 'POST')!.clone().json()) as Record<string, unknown>;
    expect(body).toMatchObject({ symbol: 'BTC/USDT', timeframe: '1h', source: 'demo', bars: 2000, ema_fast: 9, stop_loss_perc: '2' });
    expect(body).not.toHaveProperty('bot_id');

    const reads = () => fetch.calls.filter((r) => new URL(r.url).pathname === '/api/v1/backtests/7').length;
    await waitFor(() => expect(reads()).toBeGreaterThan(0));
    const before = reads();
    act(() => FakeEventSource.last.emit('backtest', { type: 'backtest', id: 7, status: 'running', progress: 40 }, '5-0'));
    await waitFor(() => expect(progress).toHaveAttribute('value', '40'));
    expect(screen.getByText(/running \(40 %\)/)).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 50));
    expect(reads()).toBe(before); // pushed, not polled

    stored = job({ status: 'done', progress: 100, result });
    act(() => FakeEventSource.last.emit('backtest', { type: 'backtest', id: 7, status: 'done', progress: 100 }, '6-0'));
    const report = await screen.findByTestId('backtest-report');
    expect(reads()).toBe(before + 1); // read once, when it ended
    const metrics = within(report).getByTestId('backtest-metrics');
    expect(metrics).toHaveTextContent('4.20 %');
    expect(metrics).toHaveTextContent('-1.50 %');
    expect(metrics).toHaveTextContent('95.10 %');
    expect(metrics).toHaveTextContent('1.23');
    expect(metrics).toHaveTextContent('2 h');
    expect(await within(report).findByTestId('candle-chart')).toHaveAttribute('data-markers', '2');
    expect(within(report).getByTestId('equity-chart')).toBeInTheDocument();
    expect(within(report).getByTestId('backtest-trades')).toHaveTextContent('+42.00');
    expect(within(report).getByRole('link', { name: 'Download trades.csv' })).toHaveAttribute('href', '/api/v1/backtests/7/trades.csv');
    expect(screen.queryByTestId('backtest-progress')).toBeNull();
  });

  it("sends a bot's id, not its settings, when they are left as the bot's", async () => {
    const { makeBot } = await import('../test/fixtures');
    const fetch = fakeFetch({
      'GET /api/v1/bots': [makeBot({ id: 3, timeframe: '5m' })],
      'GET /api/v1/backtests': { items: [], next_cursor: null },
      'POST /api/v1/backtests': () => json({ error: 'conflict', detail: '2 of your backtests are queued or running' }, 409),
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<BacktestPage />);
    await screen.findByRole('option', { name: /BTC cross/ });
    await userEvent.selectOptions(screen.getByLabelText('Settings from'), '3');
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('2 of your backtests are queued or running');
    const body = (await fetch.calls.find((r) => r.method === 'POST')!.clone().json()) as Record<string, unknown>;
    expect(body).toEqual({ symbol: 'BTC/USDT', timeframe: '5m', source: 'demo', bars: 2000, bot_id: 3 });
  });
});
