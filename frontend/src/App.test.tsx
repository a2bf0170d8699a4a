import { QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppRoutes } from './App';
import { FakeEventSource, asEventSource } from './test/fakeEventSource';
import { fakeFetch, json, makeBot } from './test/fixtures';
import { testClient } from './test/render';

vi.mock('./features/charts/CandleChart', () => ({ default: () => <div data-testid="candle-chart" /> }));
vi.mock('./features/charts/LineChart', () => ({ default: () => <div data-testid="line-chart" /> }));

function renderApp(path: string, routes: Record<string, unknown> = {}) {
  vi.stubGlobal('EventSource', asEventSource);
  vi.stubGlobal(
    'fetch',
    fakeFetch({
      'GET /api/v1/users/me': { id: 1, email: 'a@b.c' },
      'GET /api/v1/bots': [makeBot({ id: 1 })],
      'GET /api/v1/bots/1': makeBot({ id: 1 }),
      'GET /api/v1/bots/1/trades': { items: [], next_cursor: null },
      'GET /api/v1/api-keys': [],
      ...routes,
    }),
  );
  return render(
    <QueryClientProvider client={testClient()}>
      <MemoryRouter initialEntries={[path]}>
        <AppRoutes />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('the app shell', () => {
  beforeEach(() => FakeEventSource.reset());
  afterEach(() => vi.unstubAllGlobals());

  it('names the tab after each page and moves focus to its heading on navigation', async () => {
    renderApp('/');
    await screen.findByRole('heading', { level: 1, name: 'Dashboard' });
    await waitFor(() => expect(document.title).toBe('Dashboard · tradebot'));
    expect(document.body).toHaveFocus(); // a first load keeps the browser's start

    await userEvent.click(screen.getByRole('link', { name: 'API keys' }));
    const heading = await screen.findByRole('heading', { level: 1, name: 'API keys' });
    expect(heading).toHaveFocus();
    expect(document.title).toBe('API keys · tradebot');

    await userEvent.click(screen.getByRole('link', { name: 'Dashboard' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toHaveFocus();
  });

  it('waits for a loading page to show its heading, and titles a bot by its name', async () => {
    let answer: (r: Response) => void = () => undefined;
    renderApp('/', { 'GET /api/v1/bots/1': () => new Promise<Response>((resolve) => (answer = resolve)) });
    await userEvent.click(await screen.findByRole('link', { name: 'BTC cross' }));
    expect(await screen.findByRole('main')).toHaveFocus(); // the bot is still loading
    expect(document.title).toBe('Bot · tradebot');
    answer(json(makeBot({ id: 1 })));
    const heading = await screen.findByRole('heading', { level: 1, name: /BTC cross/ });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(document.title).toBe('BTC cross · tradebot');
  });

  it('links to the settings page, after API keys', async () => {
    renderApp('/', { 'GET /api/v1/telegram': { bot_username: 'tradebot_bot', link: null }, 'GET /api/v1/alarms': [] });
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = within(nav).getAllByRole('link').map((l) => l.textContent);
    expect(links.slice(links.indexOf('API keys'))).toEqual(['API keys', 'Settings']);
    await userEvent.click(within(nav).getByRole('link', { name: 'Settings' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toHaveFocus();
    expect(document.title).toBe('Settings · tradebot');
    expect(await screen.findByRole('button', { name: 'Get a link code' })).toBeInTheDocument();
  });

  it('offers a skip link to the content', async () => {
    renderApp('/');
    const skip = await screen.findByRole('link', { name: 'Skip to content' });
    expect(skip).toHaveAttribute('href', '#main');
    expect(screen.getByRole('main')).toHaveAttribute('id', 'main');
    expect(screen.getByRole('main')).toHaveAttribute('tabindex', '-1');
  });

  it('titles the sign-in page', async () => {
    renderApp('/login', { 'GET /api/v1/users/me': () => json({ error: 'unauthorized', detail: 'not signed in' }, 401) });
    await screen.findByRole('heading', { level: 1, name: 'Sign in' });
    await waitFor(() => expect(document.title).toBe('Sign in · tradebot'));
  });
});
