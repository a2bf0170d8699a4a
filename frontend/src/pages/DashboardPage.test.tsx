import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../lib/queryKeys';
import { fakeFetch, makeBot, makeLive } from '../test/fixtures';
import { renderAt, testClient } from '../test/render';
import { DashboardPage } from './DashboardPage';

const totals = (pnl: string, trades = 2) => ({ realised_pnl: pnl, fees: '0.1', trades, wins: 1, losses: 0 });
const group = (quote: string, money: string, today: string, allTime: string) => ({
  quote,
  money,
  total: totals(allTime),
  today: totals(today),
  all_time: totals(allTime),
});
const stats = (groups: unknown[]) => ({
  start: '',
  end: '',
  bot_id: null,
  total: totals('999'),
  by_bot: [],
  by_day: [],
  today: totals('999'),
  all_time: totals('999'),
  groups,
});

const BOTS = [
  makeBot({ id: 1, name: 'demo USDT', mode: 'demo' }, { daily_pnl: '5' }),
  makeBot({ id: 2, name: 'live BTC', symbol: 'ETH/BTC', mode: 'live', exchange: 'binance' }, { daily_pnl: '0.0005' }),
  makeBot({ id: 3, name: 'paper USDT', mode: 'paper', is_active: false }, { daily_pnl: '-1', status: 'stopped' }),
  makeBot({ id: 4, name: 'testnet USDT', mode: 'testnet', exchange: 'binance' }, { daily_pnl: '2' }),
];

describe('DashboardPage totals', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('adds up P&L only within one quote asset and one kind of money', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/bots': BOTS,
        'GET /api/v1/stats': stats([group('BTC', 'real', '0.00012345', '1.5'), group('USDT', 'simulated', '-2.5', '12.25')]),
      }),
    );
    renderAt(<DashboardPage />);
    const real = await screen.findByTestId('totals-BTC-real');
    const rows = within(screen.getByRole('region', { name: 'Totals' })).getAllByRole('heading', { level: 2 });
    expect(rows.map((h) => h.textContent)).toEqual(['BTC, real money', 'USDT, testnet money', 'USDT, simulated money']);

    // BTC to the satoshi, USDT to the cent
    expect(within(real).getByTestId('total-daily-pnl')).toHaveTextContent('+0.00050000');
    expect(within(real).getByTestId('totals-today')).toHaveTextContent('+0.00012345');
    expect(within(real).getByTestId('totals-all-time')).toHaveTextContent('+1.50000000');

    const simulated = screen.getByTestId('totals-USDT-simulated'); // demo and paper together
    expect(within(simulated).getByTestId('total-daily-pnl')).toHaveTextContent('+4.00');
    expect(within(simulated).getByTestId('totals-now')).toHaveTextContent('1 / 2');
    expect(within(simulated).getByTestId('totals-all-time')).toHaveTextContent('+12.25');

    const test = screen.getByTestId('totals-USDT-test'); // no trade yet: zeros, not the others' sums
    expect(within(test).getByTestId('total-daily-pnl')).toHaveTextContent('+2.00');
    expect(within(test).getByTestId('totals-all-time')).toHaveTextContent('0.00');
    expect(screen.queryByText('+999.00')).toBeNull();
  });

  it('groups the live totals by what the stream says the bots trade now', async () => {
    vi.stubGlobal('fetch', fakeFetch({ 'GET /api/v1/bots': BOTS.slice(0, 2), 'GET /api/v1/stats': stats([]) }));
    const client = testClient();
    client.setQueryData(keys.live, {
      1: makeLive({ bot_id: 1, daily_pnl: '3', open_pnl: '1.5', in_position: true }),
      2: makeLive({ bot_id: 2, symbol: 'ETH/USDT', mode: 'demo', daily_pnl: '4', open_pnl: '0.5', in_position: true }),
    });
    renderAt(<DashboardPage />, { client });
    // Both are simulated USDT now: one group, shown as a single row without a title.
    const now = await screen.findByTestId('totals-now');
    expect(within(now).getByTestId('total-daily-pnl')).toHaveTextContent('+7.00');
    expect(within(now).getByTestId('total-open-pnl')).toHaveTextContent('+2.00');
    expect(screen.queryByRole('heading', { name: /money/ })).toBeNull();
    expect(screen.getByTestId('totals-today')).toHaveTextContent('0.00');
  });
});
