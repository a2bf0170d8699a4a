import type { Bot } from '../api/client';
import type { LiveBot } from '../features/live/types';

export function makeBot(over: Partial<Bot> = {}, state: Partial<Bot['state']> = {}): Bot {
  return {
    id: 1,
    name: 'BTC cross',
    symbol: 'BTC/USDT',
    timeframe: '1m',
    mode: 'demo',
    exchange: 'demo',
    api_key_id: null,
    is_active: true,
    initial_capital: null,
    daily_target_perc: null,
    max_daily_loss_perc: null,
    position_size_perc: '10',
    position_size_fixed: null,
    stop_loss_perc: '2',
    take_profit_perc: '4',
    trailing_stop_perc: null,
    trailing_stop_active: false,
    ema_fast: 9,
    ema_slow: 21,
    rsi_period: 14,
    rsi_oversold: 30,
    rsi_overbought: 70,
    max_daily_trades: 10,
    check_interval_seconds: 60,
    created_at: '2026-12-01T10:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
    ...over,
    state: {
      status: 'running',
      in_position: false,
      entry_price: null,
      current_position_size_coins: null,
      trailing_stop_price: null,
      max_price_since_entry: null,
      take_profit_price: null,
      stop_loss_price: null,
      daily_pnl: '0',
      daily_trades_count: 0,
      last_run_at: null,
      next_run_at: null,
      last_trade_at: null,
      last_error_message: null,
      retry_count: 0,
      stop_reason: null,
      pending_order: null,
      last_updated_at: '2026-12-01T10:00:00Z',
      ...state,
    },
  };
}

export function makeLive(over: Partial<LiveBot> = {}): LiveBot {
  return {
    bot_id: 1,
    name: 'BTC cross',
    symbol: 'BTC/USDT',
    mode: 'demo',
    is_active: true,
    status: 'running',
    in_position: false,
    entry_price: null,
    position_size: null,
    stop_loss_price: null,
    take_profit_price: null,
    trailing_stop_price: null,
    daily_pnl: '0',
    daily_trades_count: 0,
    last_trade_at: null,
    last_error_message: null,
    retry_count: 0,
    stop_reason: null,
    pending_order: null,
    ...over,
  };
}

type Handler = (req: Request) => Response | Promise<Response>;

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch that answers `METHOD /path` from a table (query strings ignored); 404 otherwise. */
export function fakeFetch(routes: Record<string, Handler | unknown>) {
  const calls: Request[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost:3000'), init);
    calls.push(req);
    const key = `${req.method} ${new URL(req.url).pathname}`;
    if (!(key in routes)) return json({ error: 'not_found', detail: 'Not Found' }, 404);
    const route = routes[key];
    return typeof route === 'function' ? (route as Handler)(req) : json(route);
  };
  return Object.assign(fn, { calls });
}
