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

  const postedBody = async (fetch: ReturnType<typeof fakeFetch>) => (await fetch.calls.find((r) => r.method === 'POST')!.clone().json()) as Record<string, unknown>;
  const accepted = () => json(job(), 202);
  const routes = (over: Record<string, unknown> = {}) => ({ 'GET /api/v1/bots': [], 'GET /api/v1/backtests': { items: [], next_cursor: null }, ...over });
  const retype = async (label: string, text: string) => {
    await userEvent.clear(screen.getByLabelText(label));
    if (text) await userEvent.type(screen.getByLabelText(label), text);
  };

  it('offers every strategy setting the API takes, each with its help, and sends them', async () => {
    const fetch = fakeFetch(routes({ 'POST /api/v1/backtests': accepted }));
    vi.stubGlobal('fetch', fetch);
    renderAt(<BacktestPage />);
    const labels = ['Position size (%)', 'Initial capital', 'Stop-loss (%)', 'Take-profit (%)', 'Trailing stop (%)', 'Trailing stop on', 'EMA fast', 'EMA slow', 'RSI period', 'RSI oversold', 'RSI overbought', 'Max daily trades'];
    for (const label of labels) expect(screen.getByLabelText(label)).toHaveAccessibleDescription(/\w/);
    await userEvent.click(screen.getByRole('radio', { name: /Fixed amount/ }));
    await retype('Position size (quote)', '250');
    await retype('Initial capital', '5000');
    await retype('Trailing stop (%)', '1.5');
    await userEvent.click(screen.getByLabelText('Trailing stop on'));
    await retype('Max daily trades', '3');
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    await waitFor(() => expect(fetch.calls.some((r) => r.method === 'POST')).toBe(true));
    expect(await postedBody(fetch)).toMatchObject({
      position_size_perc: null,
      position_size_fixed: '250',
      initial_capital: '5000',
      trailing_stop_perc: '1.5',
      trailing_stop_active: true,
      max_daily_trades: 3,
    });
  });

  it("takes 2 candles or more, and shows the server's BACKTEST_MAX_BARS refusal on the field", async () => {
    const tooMany = { field: 'bars', reason: 'at most 50000 candles per backtest (BACKTEST_MAX_BARS); this asks for 60000' };
    const fetch = fakeFetch(routes({ 'POST /api/v1/backtests': () => json({ error: 'validation_error', detail: `bars: ${tooMany.reason}`, errors: [tooMany] }, 422) }));
    vi.stubGlobal('fetch', fetch);
    renderAt(<BacktestPage />);
    await retype('Candles', '1');
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    expect(screen.getByLabelText('Candles')).toHaveAccessibleDescription(/must be at least 2/);
    expect(fetch.calls.some((r) => r.method === 'POST')).toBe(false);
    await retype('Candles', '60000');
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    await waitFor(() => expect(screen.getByLabelText('Candles')).toHaveAccessibleDescription(/at most 50000 candles per backtest \(BACKTEST_MAX_BARS\)/));
    expect(await postedBody(fetch)).toMatchObject({ bars: 60000 });
  });

  it("sends the settings, not the bot's id, once a picked bot's settings are edited", async () => {
    const { makeBot } = await import('../test/fixtures');
    const fetch = fakeFetch(routes({ 'GET /api/v1/bots': [makeBot({ id: 3, timeframe: '5m' })], 'POST /api/v1/backtests': accepted }));
    vi.stubGlobal('fetch', fetch);
    renderAt(<BacktestPage />);
    await screen.findByRole('option', { name: /BTC cross/ });
    await userEvent.selectOptions(screen.getByLabelText('Settings from'), '3');
    await retype('Stop-loss (%)', '3');
    expect(screen.getByLabelText('Settings from')).toHaveAccessibleDescription(/edited: the ones below are sent/);
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    await waitFor(() => expect(fetch.calls.some((r) => r.method === 'POST')).toBe(true));
    const body = await postedBody(fetch);
    expect(body).not.toHaveProperty('bot_id');
    expect(body).toMatchObject({ timeframe: '5m', stop_loss_perc: '3', take_profit_perc: '4', ema_fast: 9, max_daily_trades: 10 });
  });

  it("puts the server's errors on the backtest's fields, dates and strategy alike", async () => {
    const errors = [
      { field: 'from', reason: 'must be before to (and before the latest closed candle)' },
      { field: 'symbol', reason: 'the exchange does not list this symbol' },
      { field: 'source', reason: 'unknown source' },
      { field: 'position_size_perc', reason: 'set exactly one of position_size_perc and position_size_fixed' },
      { field: 'trailing_stop_active', reason: 'not a boolean' },
      { field: 'max_daily_trades', reason: 'too many' },
      { field: 'bot_id', reason: 'bot not found' },
    ];
    vi.stubGlobal('fetch', fakeFetch(routes({ 'POST /api/v1/backtests': () => json({ error: 'validation_error', detail: '...', errors }, 422) })));
    renderAt(<BacktestPage />);
    await userEvent.selectOptions(screen.getByLabelText('Span'), 'range');
    await userEvent.type(screen.getByLabelText('From'), '2024-01-01');
    await userEvent.click(screen.getByRole('button', { name: 'Run backtest' }));
    await waitFor(() => expect(screen.getByLabelText('From')).toHaveAccessibleDescription(/must be before to/));
    expect(screen.getByLabelText('Symbol')).toHaveAccessibleDescription(/does not list this symbol/);
    expect(screen.getByLabelText('Market data')).toHaveAccessibleDescription(/unknown source/);
    expect(screen.getByLabelText('Position size (%)')).toHaveAccessibleDescription(/set exactly one/);
    expect(screen.getByLabelText('Trailing stop on')).toHaveAccessibleDescription(/not a boolean/);
    expect(screen.getByLabelText('Max daily trades')).toHaveAccessibleDescription(/too many/);
    expect(screen.getByLabelText('Settings from')).toHaveAccessibleDescription(/bot not found/);
  });
});
