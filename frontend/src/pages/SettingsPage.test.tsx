import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alarm, LinkedChat, Telegram } from '../api/client';
import { fakeFetch, json } from '../test/fixtures';
import { renderAt } from '../test/render';
import { SettingsPage } from './SettingsPage';

const linked: LinkedChat = {
  chat_id: 123456789,
  username: 'alice',
  linked_at: '2026-12-01T10:00:00Z',
  notifications: { trade: true, stopped: true, error: true, alarm: false },
};
const telegram = (link: LinkedChat | null = null, bot_username: string | null = 'tradebot_bot'): Telegram => ({ bot_username, link });
const inTenMinutes = () => new Date(Date.now() + 600_000).toISOString();
const alarm = (over: Partial<Alarm> = {}): Alarm => ({
  id: 7,
  source: 'binance',
  symbol: 'BTC/USDT',
  kind: 'price_above',
  threshold: '65000',
  timeframe: null,
  description: 'BTC/USDT price above 65000',
  created_at: '2026-12-01T10:00:00Z',
  last_value: '64123.5',
  last_checked_at: '2026-12-01T10:05:00Z',
  last_fired_at: null,
  fired_count: 0,
  ...over,
});

const body = async (req: Request) => JSON.parse(await req.clone().text()) as unknown;

describe('SettingsPage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('gives a link code to send the bot, with the deep link, and a new one on asking again', async () => {
    let n = 0;
    const fetch = fakeFetch({
      'GET /api/v1/telegram': telegram(),
      'GET /api/v1/alarms': [],
      'POST /api/v1/telegram/link-code': () => {
        n += 1;
        const code = n === 1 ? 'K7Q2M9XA' : 'ZZ11YY22';
        return json({ code, expires_at: inTenMinutes(), deep_link: `https://t.me/tradebot_bot?start=${code}` }, 201);
      },
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<SettingsPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Get a link code' }));
    const box = await screen.findByTestId('link-code');
    expect(within(box).getByTestId('link-code-value')).toHaveTextContent('K7Q2M9XA');
    expect(box).toHaveTextContent('Send /link K7Q2M9XA to @tradebot_bot in a private chat.');
    expect(within(box).getByRole('link', { name: 'Open in Telegram' })).toHaveAttribute('href', 'https://t.me/tradebot_bot?start=K7Q2M9XA');
    expect(within(box).getByTestId('link-code-expiry')).toHaveTextContent(/Valid for (9|10) min/);
    expect(screen.queryByText(/no Telegram bot configured/)).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Get a new code' }));
    await waitFor(() => expect(screen.getByTestId('link-code-value')).toHaveTextContent('ZZ11YY22'));
    expect(fetch.calls.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('copies the /link command', async () => {
    const user = userEvent.setup();
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/telegram': telegram(),
        'GET /api/v1/alarms': [],
        'POST /api/v1/telegram/link-code': () => json({ code: 'K7Q2M9XA', expires_at: inTenMinutes(), deep_link: null }, 201),
      }),
    );
    renderAt(<SettingsPage />);
    await user.click(await screen.findByRole('button', { name: 'Get a link code' }));
    await user.click(await screen.findByRole('button', { name: 'Copy /link K7Q2M9XA' }));
    expect(await navigator.clipboard.readText()).toBe('/link K7Q2M9XA');
    expect(screen.getByText(/Copied \/link K7Q2M9XA/)).toBeInTheDocument();
  });

  it('says when no bot is configured, and still issues a code, without a deep link', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/telegram': telegram(null, null),
        'GET /api/v1/alarms': [],
        'POST /api/v1/telegram/link-code': () => json({ code: 'K7Q2M9XA', expires_at: inTenMinutes(), deep_link: null }, 201),
      }),
    );
    renderAt(<SettingsPage />);
    expect(await screen.findByText(/no Telegram bot configured/)).toHaveTextContent('TELEGRAM_BOT_TOKEN is not set');
    await userEvent.click(screen.getByRole('button', { name: 'Get a link code' }));
    const box = await screen.findByTestId('link-code');
    expect(box).toHaveTextContent('Send /link K7Q2M9XA to the bot in a private chat.');
    expect(within(box).queryByRole('link', { name: 'Open in Telegram' })).toBeNull();
  });

  it('shows the linked chat once the code is sent from it', async () => {
    let link: LinkedChat | null = null;
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/telegram': () => json(telegram(link)),
        'GET /api/v1/alarms': [],
        'POST /api/v1/telegram/link-code': () => json({ code: 'K7Q2M9XA', expires_at: inTenMinutes(), deep_link: null }, 201),
      }),
    );
    const { client } = renderAt(<SettingsPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Get a link code' }));
    await screen.findByTestId('link-code');
    link = linked;
    await client.refetchQueries({ queryKey: ['telegram'] });
    expect(await screen.findByText('Your chat is linked.')).toBeInTheDocument();
    expect(screen.getByTestId('telegram-linked')).toHaveTextContent('Linked to @alice (chat ID 123456789) since');
    expect(screen.queryByTestId('link-code')).toBeNull();
  });

  it('shows the linked chat and its switches; a switch sends only its own field', async () => {
    let notifications = linked.notifications;
    const fetch = fakeFetch({
      'GET /api/v1/telegram': telegram(linked),
      'GET /api/v1/alarms': [],
      'PATCH /api/v1/telegram': async (req: Request) => {
        notifications = { ...notifications, ...((await body(req)) as Partial<LinkedChat['notifications']>) };
        return json(telegram({ ...linked, notifications }));
      },
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<SettingsPage />);
    expect(await screen.findByTestId('telegram-linked')).toHaveTextContent('Linked to @alice (chat ID 123456789) since');
    expect(screen.queryByRole('button', { name: 'Get a link code' })).toBeNull();
    expect(screen.getByRole('checkbox', { name: 'Trades executed' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'A bot stopped (daily target, loss limit, by hand, error)' })).toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Bot errors' })).toBeChecked();
    const alarms = screen.getByRole('checkbox', { name: 'Alarms fired' });
    expect(alarms).not.toBeChecked();

    await userEvent.click(alarms);
    expect(alarms).toBeChecked();
    await waitFor(() => expect(fetch.calls.some((r) => r.method === 'PATCH')).toBe(true));
    const patch = fetch.calls.find((r) => r.method === 'PATCH')!;
    expect(await body(patch)).toEqual({ alarm: true });

    await userEvent.click(screen.getByRole('checkbox', { name: 'Trades executed' }));
    await waitFor(() => expect(fetch.calls.filter((r) => r.method === 'PATCH')).toHaveLength(2));
    expect(await body(fetch.calls.filter((r) => r.method === 'PATCH')[1]!)).toEqual({ trade: false });
    await waitFor(() => expect(screen.getByRole('checkbox', { name: 'Trades executed' })).not.toBeChecked());
    expect(screen.getByRole('checkbox', { name: 'Alarms fired' })).toBeChecked();
  });

  it('puts a switch back and says why when the change is refused', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/telegram': telegram(linked),
        'GET /api/v1/alarms': [],
        'PATCH /api/v1/telegram': () => json({ error: 'internal', detail: 'something broke' }, 500),
      }),
    );
    renderAt(<SettingsPage />);
    const trades = await screen.findByRole('checkbox', { name: 'Trades executed' });
    await userEvent.click(trades);
    expect(await screen.findByRole('alert')).toHaveTextContent('Not saved: something broke');
    expect(trades).toBeChecked();
  });

  it('asks before unlinking, then sends DELETE and offers a code again', async () => {
    let link: LinkedChat | null = linked;
    const fetch = fakeFetch({
      'GET /api/v1/telegram': () => json(telegram(link)),
      'GET /api/v1/alarms': [],
      'DELETE /api/v1/telegram': () => {
        link = null;
        return new Response(null, { status: 204 });
      },
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<SettingsPage />);
    await screen.findByTestId('telegram-linked');
    await userEvent.click(screen.getByRole('button', { name: 'Unlink' }));
    expect(fetch.calls.some((r) => r.method === 'DELETE')).toBe(false);
    expect(screen.getByRole('heading', { name: 'Unlink this chat?' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Unlink the chat' }));
    expect(await screen.findByRole('button', { name: 'Get a link code' })).toBeInTheDocument();
    expect(fetch.calls.filter((r) => r.method === 'DELETE').map((r) => new URL(r.url).pathname)).toEqual(['/api/v1/telegram']);
    expect(screen.queryByTestId('telegram-linked')).toBeNull();
  });

  it('lists the alarms and deletes one', async () => {
    const fetch = fakeFetch({
      'GET /api/v1/telegram': telegram(),
      'GET /api/v1/alarms': [
        alarm(),
        alarm({ id: 8, kind: 'rsi_below', threshold: '30', timeframe: '1h', description: 'ETH/USDT RSI(14, 1h) below 30', last_value: '41.234', fired_count: 3, last_fired_at: new Date(Date.now() - 3 * 3600_000).toISOString() }),
      ],
      'DELETE /api/v1/alarms/7': () => new Response(null, { status: 204 }),
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<SettingsPage />);
    const first = await screen.findByTestId('alarm-row-7');
    expect(first).toHaveTextContent('BTC/USDT price above 65000');
    expect(first).toHaveTextContent('64,123.50');
    expect(first).toHaveTextContent('never');
    const second = screen.getByTestId('alarm-row-8');
    expect(second).toHaveTextContent('41.2');
    expect(second).toHaveTextContent('3');
    expect(second).toHaveTextContent('3 hours ago');
    expect(screen.getByText('/alarm BTC price > 65000')).toBeInTheDocument();

    await userEvent.click(within(first).getByRole('button', { name: 'Delete alarm BTC/USDT price above 65000' }));
    await waitFor(() => expect(screen.queryByTestId('alarm-row-7')).toBeNull());
    expect(screen.getByTestId('alarm-row-8')).toBeInTheDocument();
    expect(fetch.calls.some((r) => r.method === 'DELETE' && r.url.endsWith('/api/v1/alarms/7'))).toBe(true);
  });

  it('adds an alarm, sending only what its kind takes, and shows refusals by field and the limit', async () => {
    let answer = (_req: Request): Response | Promise<Response> => json(alarm(), 201);
    const fetch = fakeFetch({
      'GET /api/v1/telegram': telegram(),
      'GET /api/v1/alarms': [],
      'POST /api/v1/alarms': (req: Request) => answer(req),
    });
    vi.stubGlobal('fetch', fetch);
    renderAt(<SettingsPage />);
    await screen.findByTestId('alarms-empty');
    const form = screen.getByRole('form', { name: 'Add an alarm' });
    expect(within(form).queryByLabelText('Timeframe')).toBeNull();
    await userEvent.type(within(form).getByLabelText('Symbol'), 'BTC');
    await userEvent.type(within(form).getByLabelText('Threshold'), '65000');
    await userEvent.click(within(form).getByRole('button', { name: 'Add alarm' }));
    expect(await screen.findByTestId('alarm-row-7')).toBeInTheDocument();
    expect(await body(fetch.calls.find((r) => r.method === 'POST')!)).toEqual({ symbol: 'BTC', kind: 'price_above', threshold: '65000' });

    answer = () =>
      json({ error: 'invalid_input', detail: 'threshold: an RSI level is from 1 to 99', errors: [{ field: 'threshold', reason: 'an RSI level is from 1 to 99' }] }, 422);
    await userEvent.type(within(form).getByLabelText('Symbol'), 'ETH');
    await userEvent.selectOptions(within(form).getByLabelText('Condition'), 'rsi_above');
    await userEvent.type(within(form).getByLabelText('Threshold'), '150');
    await userEvent.selectOptions(within(form).getByLabelText('Timeframe'), '4h');
    await userEvent.click(within(form).getByRole('button', { name: 'Add alarm' }));
    expect(await within(form).findByText('an RSI level is from 1 to 99')).toBeInTheDocument();
    expect(within(form).getByLabelText('Threshold')).toHaveAttribute('aria-invalid', 'true');
    expect(await body(fetch.calls.filter((r) => r.method === 'POST')[1]!)).toEqual({ symbol: 'ETH', kind: 'rsi_above', threshold: '150', timeframe: '4h' });

    answer = () => json({ error: 'conflict', detail: 'you have 20 alarms, the most one may keep: delete one first' }, 409);
    await userEvent.selectOptions(within(form).getByLabelText('Condition'), 'ema_cross');
    expect(within(form).queryByLabelText('Threshold')).toBeNull();
    await userEvent.click(within(form).getByRole('button', { name: 'Add alarm' }));
    expect(await screen.findByText('you have 20 alarms, the most one may keep: delete one first')).toBeInTheDocument();
    expect(await body(fetch.calls.filter((r) => r.method === 'POST')[2]!)).toEqual({ symbol: 'ETH', kind: 'ema_cross', timeframe: '4h' });
  });
});
