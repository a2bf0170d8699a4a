import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveMap } from '../features/live/LiveProvider';
import { fakeFetch, json, makeBot, makeLive } from '../test/fixtures';
import { renderAt } from '../test/render';
import { keys } from '../lib/queryKeys';
import { BotDetailPage } from './BotDetailPage';
import { DashboardPage } from './DashboardPage';

vi.mock('../features/charts/CandleChart', () => ({ default: ({ levels }: { levels?: unknown }) => <div data-testid="candle-chart" data-levels={JSON.stringify(levels)} /> }));
vi.mock('../features/charts/LineChart', () => ({
  default: ({ testId, points }: { testId?: string; points: unknown }) => <div data-testid={testId ?? 'line-chart'} data-points={JSON.stringify(points)} />,
}));

const trade = (id: number, ts: string, side: string, pnl: string | null, fee: [string, string] | [null, null] = [null, null]) => ({
  id,
  bot_config_id: 1,
  binance_order_id: null,
  symbol: 'BTC/USDT',
  side,
  order_type: 'market',
  price: '50000',
  quantity_filled: '0.01',
  quote_quantity_filled: '500',
  commission_amount: fee[0],
  commission_asset: fee[1],
  pnl,
  reason: side === 'buy' ? 'golden_cross' : 'take_profit',
  timestamp: ts,
});

// Every second fill an exit, as with round trips; one in two a win.
const totals = (realised_pnl: string, trades: number) => ({ realised_pnl, fees: '0', trades, wins: Math.ceil(trades / 4), losses: Math.floor(trades / 4) });
const stats = (byDay: { realised_pnl: string; trades: number }[]) => {
  const pnl = String(byDay.reduce((sum, d) => sum + Number(d.realised_pnl), 0));
  const trades = byDay.reduce((sum, d) => sum + d.trades, 0);
  return { start: '', end: '', bot_id: 1, total: totals(pnl, trades), by_bot: [], by_day: byDay, today: totals('0', 0), all_time: totals(pnl, trades) };
};

/** What the detail page of bot 1 reads, with nothing recorded yet. */
const detailRoutes = () => ({
  'GET /api/v1/bots/1': makeBot({ id: 1 }),
  'GET /api/v1/bots/1/trades': { items: [], next_cursor: null },
  'GET /api/v1/bots/1/errors': { items: [], next_cursor: null },
  'GET /api/v1/stats': stats([]),
  'GET /api/v1/bots/1/chart': {
    bot_id: 1,
    symbol: 'BTC/USDT',
    timeframe: '1m',
    market: 'demo',
    periods: { ema_fast: 9, ema_slow: 21, rsi_period: 14 },
    price: 50000,
    candles: [{ time: 60, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }],
    indicators: { ema_fast: [null], ema_slow: [null], rsi: [null] },
    markers: [],
    levels: null,
  },
});

describe('pages', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows the totals of today and all time from /stats', async () => {
    const totals = (pnl: string, trades: number) => ({ realised_pnl: pnl, fees: '0.5', trades, wins: 3, losses: 1 });
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/bots': [makeBot({ id: 1 })],
        'GET /api/v1/stats': {
          start: '',
          end: '',
          bot_id: null,
          total: totals('1', 2),
          by_bot: [],
          by_day: [],
          today: totals('-2.5', 4),
          all_time: totals('12.25', 8),
          groups: [{ quote: 'USDT', money: 'simulated', total: totals('1', 2), today: totals('-2.5', 4), all_time: totals('12.25', 8) }],
        },
      }),
    );
    renderAt(<DashboardPage />);
    const today = await screen.findByTestId('totals-today');
    expect(today).toHaveTextContent('-2.50');
    expect(today).toHaveTextContent('75 %');
    expect(screen.getByTestId('totals-all-time')).toHaveTextContent('+12.25');
  });

  it('leads a new user to create a first bot', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'GET /api/v1/bots': [] }));
    renderAt(<DashboardPage />);
    const empty = await screen.findByTestId('empty-state');
    expect(within(empty).getByRole('link', { name: 'Create your first bot' })).toHaveAttribute('href', '/bots/new');
  });

  it('asks before stopping a bot that holds a position', async () => {
    const bot = makeBot({ id: 1 }, { in_position: true, entry_price: '50000' });
    const fetch = fakeFetch({
      'GET /api/v1/bots': [bot],
      'POST /api/v1/bots/1/stop': () => json(makeBot({ id: 1, is_active: false }, { status: 'stopped', in_position: true })),
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<DashboardPage />);
    const card = await screen.findByTestId('bot-card-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Stop BTC cross' }));
    expect(fetch.calls.some((r) => r.url.endsWith('/stop'))).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Stop the bot' }));
    expect(await within(card).findByRole('button', { name: 'Start BTC cross' })).toBeInTheDocument();
    expect(within(card).getByTestId('bot-status')).toHaveTextContent('Stopped');
  });

  it("lands on the not-found page for another user's bot (the API's 404)", async () => {
    vi.stubGlobal('fetch', fakeFetch({}));
    renderAt(<BotDetailPage />, { path: '/bots/99', route: '/bots/:id' });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This bot does not exist, or it is not yours.');
  });

  it.each(['0', 'abc', '1e3', '2147483648'])('shows the not-found page for /bots/%s without asking the API', async (id) => {
    const fetch = fakeFetch({});
    vi.stubGlobal('fetch', fetch);
    renderAt(<BotDetailPage />, { path: `/bots/${id}`, route: '/bots/:id' });
    expect(await screen.findByTestId('not-found')).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 20));
    expect(fetch.calls.filter((r) => new URL(r.url).pathname.startsWith('/api/v1/bots/'))).toEqual([]);
  });

  it('shows a bot with its trades, paged by cursor and sorted by the API over all of them', async () => {
    const newest = { items: [trade(3, '2026-12-01T12:00:00Z', 'sell', '5.5', ['0.5', 'USDT']), trade(2, '2026-12-01T11:00:00Z', 'buy', null)], next_cursor: 'c1' };
    const older = { items: [trade(1, '2026-12-01T10:00:00Z', 'sell', '-2')], next_cursor: null };
    const oldest = { items: [trade(1, '2026-12-01T10:00:00Z', 'sell', '-2'), trade(2, '2026-12-01T11:00:00Z', 'buy', null)], next_cursor: 'a1' };
    let answerAsc = (_: Response) => {};
    const fetch = fakeFetch({
      ...detailRoutes(),
      'GET /api/v1/bots/1/trades': (req: Request) => {
        const q = new URL(req.url).searchParams;
        if (q.get('order') === 'asc') return new Promise<Response>((resolve) => (answerAsc = resolve));
        return json(q.get('cursor') === 'c1' ? older : newest);
      },
    });
    vi.stubGlobal('fetch', fetch);
    const { client } = renderAt(<BotDetailPage />, { path: '/bots/1', route: '/bots/:id' });
    const table = await screen.findByTestId('trades-table');
    expect(screen.getByTestId('bot-settings')).toHaveTextContent('9 / 21');
    expect(within(screen.getByTestId('trade-row-3')).getByText('0.5 USDT')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Load older trades' }));
    await screen.findByTestId('trade-row-1');
    const ids = () => within(table).getAllByRole('row').slice(1).map((r) => r.getAttribute('data-testid'));
    expect(ids()).toEqual(['trade-row-3', 'trade-row-2', 'trade-row-1']);
    // Oldest first is the API's: the bot's first trades, not the loaded ones reversed.
    await userEvent.click(within(table).getByRole('button', { name: /Time/ }));
    // While the API answers, the table (and the focused button) stay, marked busy.
    expect(table).toHaveAttribute('aria-busy', 'true');
    expect(ids()).toEqual(['trade-row-3', 'trade-row-2', 'trade-row-1']);
    answerAsc(json(oldest));
    await waitFor(() => expect(ids()).toEqual(['trade-row-1', 'trade-row-2']));
    expect(table).not.toHaveAttribute('aria-busy');
    expect(within(table).getByRole('columnheader', { name: /Time/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(fetch.calls.some((r) => r.url.includes('/trades') && new URL(r.url).searchParams.get('order') === 'asc')).toBe(true);
    expect(screen.getByRole('button', { name: 'Load newer trades' })).toBeInTheDocument();
    expect(await screen.findByTestId('candle-chart')).toBeInTheDocument();
    expect(client.getQueryData(keys.bot(1))).toBeDefined();
  });

  it("draws the cumulative P&L from the bot's daily stats since it was created", async () => {
    const day = (d: string, realised_pnl: string) => ({ day: d, realised_pnl, fees: '0', trades: 2, wins: 1, losses: 0 });
    const fetch = fakeFetch({ ...detailRoutes(), 'GET /api/v1/stats': stats([day('2026-12-01', '5.5'), day('2026-12-03', '-2')]) });
    vi.stubGlobal('fetch', fetch);
    renderAt(<BotDetailPage />, { path: '/bots/1', route: '/bots/:id' });
    const chart = await screen.findByTestId('pnl-chart');
    const at = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
    expect(JSON.parse(chart.dataset.points!)).toEqual([
      { time: at('2026-11-30'), value: 0 },
      { time: at('2026-12-01'), value: 5.5 },
      { time: at('2026-12-03'), value: 3.5 },
    ]);
    const asked = new URL(fetch.calls.find((r) => r.url.includes('/stats'))!.url).searchParams;
    expect(asked.get('bot_id')).toBe('1');
    expect(asked.get('from')).toBe('2026-12-01T10:00:00.000Z');
  });

  it('moves the chart\'s position levels with the live state, without fetching the chart again', async () => {
    const bot = makeBot({ id: 1 }, { in_position: true, entry_price: '100', stop_loss_price: '95', take_profit_price: '110' });
    const fetch = fakeFetch({ ...detailRoutes(), 'GET /api/v1/bots/1': bot });
    vi.stubGlobal('fetch', fetch);
    const { client } = renderAt(<BotDetailPage />, { path: '/bots/1', route: '/bots/:id' });
    const chart = await screen.findByTestId('candle-chart');
    expect(JSON.parse(chart.dataset.levels!)).toEqual({ entry: 100, stop_loss: 95, take_profit: 110, trailing_stop: null });
    act(() => {
      client.setQueryData<LiveMap>(keys.live, {
        1: makeLive({ status: 'in_position', in_position: true, entry_price: '100', stop_loss_price: '98', take_profit_price: '110', trailing_stop_price: '99', price: '104' }),
      });
    });
    await waitFor(() => expect(JSON.parse(screen.getByTestId('candle-chart').dataset.levels!)).toEqual({ entry: 100, stop_loss: 98, take_profit: 110, trailing_stop: 99 }));
    expect(within(screen.getByTestId('bot-state')).getByText('104.00')).toBeInTheDocument();
    expect(fetch.calls.filter((r) => r.url.includes('/chart'))).toHaveLength(1);
  });

  it("lists the bot's recorded errors, pages older ones and refetches on a new live error", async () => {
    const error = (id: number, kind: 'temporary' | 'permanent', attempt: number, message: string) => ({ id, occurred_at: `2026-12-01T1${id}:00:00Z`, kind, attempt, message });
    let newest = [error(3, 'permanent', 3, 'Binance rejected the key'), error(2, 'temporary', 2, 'Network timeout')];
    const fetch = fakeFetch({
      ...detailRoutes(),
      'GET /api/v1/bots/1/errors': (req: Request) =>
        json(new URL(req.url).searchParams.get('cursor') === 'e1' ? { items: [error(1, 'temporary', 1, 'Network timeout')], next_cursor: null } : { items: newest, next_cursor: 'e1' }),
    });
    vi.stubGlobal('fetch', fetch);
    const { client } = renderAt(<BotDetailPage />, { path: '/bots/1', route: '/bots/:id' });
    const history = await screen.findByTestId('error-history');
    const first = await within(history).findByTestId('error-3');
    expect(first).toHaveTextContent('Stopped the bot');
    expect(first).toHaveTextContent('Binance rejected the key');
    expect(within(history).getByTestId('error-2')).toHaveTextContent('Retried, attempt 2');
    await userEvent.click(within(history).getByRole('button', { name: 'Load older errors' }));
    expect(await within(history).findByTestId('error-1')).toHaveTextContent('Network timeout');
    expect(within(history).queryByRole('button', { name: 'Load older errors' })).toBeNull();
    newest = [error(4, 'temporary', 1, 'Exchange unavailable'), ...newest];
    act(() => {
      client.setQueryData<LiveMap>(keys.live, { 1: makeLive({ last_error_message: 'Exchange unavailable' }) });
    });
    expect(await within(history).findByTestId('error-4')).toHaveTextContent('Exchange unavailable');
    // The same error again: only the retry count tells.
    newest = [error(5, 'temporary', 2, 'Exchange unavailable'), ...newest];
    act(() => {
      client.setQueryData<LiveMap>(keys.live, { 1: makeLive({ last_error_message: 'Exchange unavailable', retry_count: 2 }) });
    });
    expect(await within(history).findByTestId('error-5')).toHaveTextContent('Retried, attempt 2');
  });
});
