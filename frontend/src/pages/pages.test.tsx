import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, json, makeBot } from '../test/fixtures';
import { renderAt } from '../test/render';
import { keys } from '../lib/queryKeys';
import { BotDetailPage } from './BotDetailPage';
import { DashboardPage } from './DashboardPage';

vi.mock('../features/charts/CandleChart', () => ({ default: () => <div data-testid="candle-chart" /> }));
vi.mock('../features/charts/LineChart', () => ({ default: ({ testId }: { testId?: string }) => <div data-testid={testId ?? 'line-chart'} /> }));

const trade = (id: number, ts: string, side: string, pnl: string | null) => ({
  id,
  bot_config_id: 1,
  binance_order_id: null,
  symbol: 'BTC/USDT',
  side,
  order_type: 'market',
  price: '50000',
  quantity_filled: '0.01',
  quote_quantity_filled: '500',
  commission_amount: null,
  commission_asset: null,
  pnl,
  reason: side === 'buy' ? 'golden_cross' : 'take_profit',
  timestamp: ts,
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

  it('shows a bot with its trades, paged by cursor and sortable by time', async () => {
    const page1 = { items: [trade(3, '2026-12-01T12:00:00Z', 'sell', '5.5'), trade(2, '2026-12-01T11:00:00Z', 'buy', null)], next_cursor: 'c1' };
    const page2 = { items: [trade(1, '2026-12-01T10:00:00Z', 'sell', '-2')], next_cursor: null };
    const fetch = fakeFetch({
      'GET /api/v1/bots/1': makeBot({ id: 1 }),
      'GET /api/v1/bots/1/trades': (req: Request) => json(new URL(req.url).searchParams.get('cursor') === 'c1' ? page2 : page1),
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
    vi.stubGlobal('fetch', fetch);
    const { client } = renderAt(<BotDetailPage />, { path: '/bots/1', route: '/bots/:id' });
    const table = await screen.findByTestId('trades-table');
    expect(screen.getByTestId('bot-settings')).toHaveTextContent('9 / 21');
    await userEvent.click(screen.getByRole('button', { name: 'Load older trades' }));
    await screen.findByTestId('trade-row-1');
    const ids = () => within(table).getAllByRole('row').slice(1).map((r) => r.getAttribute('data-testid'));
    expect(ids()).toEqual(['trade-row-3', 'trade-row-2', 'trade-row-1']);
    await userEvent.click(within(table).getByRole('button', { name: /Time/ }));
    expect(ids()).toEqual(['trade-row-1', 'trade-row-2', 'trade-row-3']);
    expect(screen.queryByRole('button', { name: 'Load older trades' })).toBeNull();
    expect(await screen.findByTestId('candle-chart')).toBeInTheDocument();
    expect(screen.getByTestId('pnl-chart')).toBeInTheDocument();
    expect(client.getQueryData(keys.bot(1))).toBeDefined();
  });
});
