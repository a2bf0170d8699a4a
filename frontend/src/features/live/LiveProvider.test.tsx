import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DashboardPage } from '../../pages/DashboardPage';
import { FakeEventSource, asEventSource } from '../../test/fakeEventSource';
import { fakeFetch, json, makeBot, makeLive } from '../../test/fixtures';
import { renderAt } from '../../test/render';
import { keys } from '../../lib/queryKeys';
import { LiveProvider } from './LiveProvider';

/** Lets the query cache's batched notifications reach the components. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const options = { EventSource: asEventSource, initialDelayMs: 10, maxDelayMs: 20, random: () => 1 };

function renderDashboard(routes: Record<string, unknown> = {}) {
  const fetch = fakeFetch({
    'GET /api/v1/bots': [makeBot({ id: 1 }), makeBot({ id: 2, name: 'ETH rebound', symbol: 'ETH/USDT', is_active: false }, { status: 'stopped' })],
    'GET /api/v1/users/me': { id: 1, email: 'a@b.c' },
    ...routes,
  });
  vi.stubGlobal('fetch', fetch);
  const view = renderAt(
    <LiveProvider options={options}>
      <DashboardPage />
    </LiveProvider>,
  );
  return { ...view, fetch };
}

describe('LiveProvider', () => {
  beforeEach(() => FakeEventSource.reset());
  afterEach(() => vi.unstubAllGlobals());

  it('updates a card from state events without refetching', async () => {
    const { fetch } = renderDashboard();
    const card = await screen.findByTestId('bot-card-1');
    expect(FakeEventSource.instances).toHaveLength(1);
    const es = FakeEventSource.last;
    act(() => {
      es.open();
      es.emit('snapshot', { bots: [makeLive({ bot_id: 1 }), makeLive({ bot_id: 2, is_active: false, status: 'stopped' })] }, '10-0');
    });
    await waitFor(() => expect(within(card).getByTestId('bot-status')).toHaveTextContent('Running'));
    const botsCalls = () => fetch.calls.filter((r) => new URL(r.url).pathname === '/api/v1/bots').length;
    const before = botsCalls();
    act(() =>
      es.emit(
        'state',
        makeLive({
          bot_id: 1,
          status: 'in_position',
          in_position: true,
          entry_price: '50000',
          position_size: '0.02',
          stop_loss_price: '49000',
          take_profit_price: '52000',
          price: '50500',
          open_pnl: '10.5',
          daily_pnl: '-3.25',
          daily_trades_count: 1,
        }),
        '11-0',
      ),
    );
    await waitFor(() => expect(within(card).getByTestId('bot-status')).toHaveTextContent('In position'));
    expect(within(card).getByTestId('open-pnl')).toHaveTextContent('+10.50');
    expect(within(card).getByTestId('daily-pnl')).toHaveTextContent('-3.25');
    expect(within(card).getByTestId('trades-today')).toHaveTextContent('1 / 10');
    expect(within(card).getByTestId('position')).toHaveTextContent('49,000');
    expect(screen.getByTestId('total-daily-pnl')).toHaveTextContent('-3.25');
    expect(botsCalls()).toBe(before); // pushed, not fetched
  });

  it('shows a refetch made while the stream was down over the stream\'s older state', async () => {
    let reading = makeBot({ id: 1 });
    const { client, fetch } = renderDashboard({ 'GET /api/v1/bots': () => json([reading]), 'GET /api/v1/stats': () => json({}, 500) });
    const card = await screen.findByTestId('bot-card-1');
    act(() => {
      FakeEventSource.last.open();
      FakeEventSource.last.emit('snapshot', { bots: [makeLive({ bot_id: 1, status: 'in_position', in_position: true, price: '50500', open_pnl: '10.5' })] }, '10-0');
    });
    await waitFor(() => expect(within(card).getByTestId('bot-status')).toHaveTextContent('In position'));
    act(() => FakeEventSource.last.fail()); // down: the bots are polled instead
    reading = makeBot({ id: 1, is_active: false }, { status: 'stopped', last_trade_at: '2026-12-01T11:00:00Z', daily_pnl: '4.5' });
    const statsCalls = () => fetch.calls.filter((r) => new URL(r.url).pathname === '/api/v1/stats').length;
    const before = statsCalls();
    await act(() => client.refetchQueries({ queryKey: keys.bots, exact: true }));
    await waitFor(() => expect(within(card).getByTestId('bot-status')).toHaveTextContent('Stopped'));
    expect(within(card).getByTestId('daily-pnl')).toHaveTextContent('+4.50');
    expect(screen.getByTestId('total-daily-pnl')).toHaveTextContent('+4.50');
    // It showed a trade the stream had not: the trades and totals are read again.
    await waitFor(() => expect(statsCalls()).toBeGreaterThan(before));
  });

  it('keeps a state that arrives while a refetch is on its way over the refetch', async () => {
    let answer: (r: Response) => void = () => undefined;
    let first = true;
    const { client } = renderDashboard({
      'GET /api/v1/bots': () => {
        if (first) return ((first = false), json([makeBot({ id: 1 })]));
        return new Promise<Response>((resolve) => (answer = resolve));
      },
    });
    const card = await screen.findByTestId('bot-card-1');
    const es = FakeEventSource.last;
    act(() => {
      es.open();
      es.emit('snapshot', { bots: [makeLive({ bot_id: 1 })] }, '10-0');
    });
    let refetch: Promise<unknown> = Promise.resolve();
    act(() => {
      refetch = client.refetchQueries({ queryKey: keys.bots, exact: true });
    });
    act(() => es.emit('state', makeLive({ bot_id: 1, status: 'in_position', in_position: true, price: '50500', open_pnl: '2' }), '11-0'));
    await waitFor(() => expect(within(card).getByTestId('bot-status')).toHaveTextContent('In position'));
    await act(async () => {
      answer(json([makeBot({ id: 1 })])); // read before the state was committed, or after: the state is at least as new
      await refetch;
      await settle();
    });
    expect(within(card).getByTestId('bot-status')).toHaveTextContent('In position');
    // A later reading that still has the position keeps the stream's price and open P&L.
    act(() => {
      refetch = client.refetchQueries({ queryKey: keys.bots, exact: true });
    });
    await act(async () => {
      answer(json([makeBot({ id: 1 }, { in_position: true, entry_price: '50000', daily_pnl: '1' })]));
      await refetch;
      await settle();
    });
    expect(within(card).getByTestId('daily-pnl')).toHaveTextContent('+1.00');
    expect(within(card).getByTestId('open-pnl')).toHaveTextContent('+2.00');
  });

  it('refetches the list when a snapshot or event names a bot it does not know', async () => {
    const { fetch } = renderDashboard();
    await screen.findByTestId('bot-card-1');
    const botsCalls = () => fetch.calls.filter((r) => new URL(r.url).pathname === '/api/v1/bots').length;
    const before = botsCalls();
    act(() => FakeEventSource.last.emit('state', makeLive({ bot_id: 3, name: 'New one' }), '12-0'));
    await waitFor(() => expect(botsCalls()).toBe(before + 1));
  });

  it('removes a deleted bot', async () => {
    renderDashboard();
    await screen.findByTestId('bot-card-2');
    act(() => FakeEventSource.last.emit('deleted', { type: 'deleted', bot_id: 2 }, '13-0'));
    await waitFor(() => expect(screen.queryByTestId('bot-card-2')).toBeNull());
    expect(screen.getByTestId('bot-card-1')).toBeInTheDocument();
  });

  it('goes back to login and forgets cached data on end', async () => {
    const { client } = renderDashboard();
    await screen.findByTestId('bot-card-1');
    act(() => FakeEventSource.last.emit('end', { reason: 'expired' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/login'));
    expect(client.getQueryData(keys.bots)).toBeUndefined();
  });

  it('goes back to login when the stream drops and the session is gone', async () => {
    renderDashboard({ 'GET /api/v1/users/me': () => json({ error: 'unauthorized', detail: 'not signed in' }, 401) });
    await screen.findByTestId('bot-card-1');
    act(() => FakeEventSource.last.fail());
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/login'));
  });

  it('closes the stream when the tab goes', async () => {
    renderDashboard();
    await screen.findByTestId('bot-card-1');
    const es = FakeEventSource.last;
    act(() => {
      window.dispatchEvent(new Event('pagehide'));
    });
    expect(es.closed).toBe(true);
    // Restored from the back/forward cache: one new stream, resuming where it stopped.
    act(() => {
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    });
    expect(FakeEventSource.instances).toHaveLength(2);
  });
});
