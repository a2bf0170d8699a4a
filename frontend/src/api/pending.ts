// Calls to endpoints the API does not have yet (chart data, stats, backtest jobs).
//
// TO BE REPLACED: once these routes are in the OpenAPI document (`make client`), swap each
// hand-written type below for `Schemas['...']` from ./client and each `request` for the
// generated `api.GET/POST/DELETE`; the pages import only from this module, so the swap is
// this one file.
import { ApiError } from './client';

/** Money, prices and percentages are decimal strings in this API. */
export type Decimal = string;

// --- hand-written: replace with the generated schema types ---------------------------
export interface Candle {
  time: number; // unix seconds, candle open
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
}
export interface Point {
  time: number;
  value: Decimal | null;
}
export interface Marker {
  time: number;
  side: 'buy' | 'sell';
  price: Decimal;
  reason: string | null;
}
export interface Levels {
  entry: Decimal | null;
  stop: Decimal | null;
  take_profit: Decimal | null;
  trailing_stop: Decimal | null;
}
export interface ChartData {
  candles: Candle[];
  ema_fast: Point[];
  ema_slow: Point[];
  rsi: Point[];
  markers: Marker[];
  levels: Levels | null;
}
export interface PnlSummary {
  pnl: Decimal;
  fees: Decimal;
  trades: number;
  wins: number;
  losses: number;
}
export interface BotStats extends PnlSummary {
  bot_id: number;
}
export interface Stats {
  today: PnlSummary;
  all_time: PnlSummary;
  bots: BotStats[];
  days: { date: string; pnl: Decimal; trades: number }[];
}
export interface BacktestParams {
  symbol: string;
  timeframe: string;
  /** Candles from the built-in demo market (offline) or Binance. */
  source?: 'demo' | 'binance';
  bars?: number | null;
  start?: string | null;
  end?: string | null;
  bot_id?: number | null;
  config?: Record<string, unknown> | null;
}
export interface BacktestTrade {
  entry_time: number;
  exit_time: number;
  entry_price: Decimal;
  exit_price: Decimal;
  quantity: Decimal;
  pnl: Decimal;
  return_perc: Decimal;
  exit_reason: string;
}
export interface BacktestResult {
  metrics: Record<string, number | string | null>;
  equity: Point[];
  trades: BacktestTrade[];
  candles?: Candle[];
  markers?: Marker[];
}
export interface Backtest {
  id: number;
  status: 'queued' | 'running' | 'done' | 'failed' | string;
  progress: number; // 0..1
  params: BacktestParams;
  result: BacktestResult | null;
  error: string | null;
  created_at?: string;
}
// --------------------------------------------------------------------------------------

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'include', headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const response = await fetch(path, init);
  const text = response.status === 204 ? '' : await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { detail: text };
  }
  if (!response.ok) throw new ApiError(response.status, parsed, response.headers.get('Retry-After'));
  return parsed as T;
}

const q = (params: Record<string, string | number | undefined | null>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

export const pending = {
  botChart: (botId: number, bars = 300) =>
    request<ChartData>('GET', `/api/v1/bots/${botId}/chart${q({ bars })}`),
  marketChart: (p: { symbol: string; timeframe: string; mode?: string; bars?: number }) =>
    request<ChartData>('GET', `/api/v1/markets/chart${q(p)}`),
  stats: (p: { start?: string; end?: string } = {}) => request<Stats>('GET', `/api/v1/stats${q(p)}`),
  createBacktest: (params: BacktestParams) => request<Backtest>('POST', '/api/v1/backtests', params),
  listBacktests: () => request<Backtest[]>('GET', '/api/v1/backtests'),
  getBacktest: (id: number) => request<Backtest>('GET', `/api/v1/backtests/${id}`),
  deleteBacktest: (id: number) => request<void>('DELETE', `/api/v1/backtests/${id}`),
  tradesCsvUrl: (id: number) => `/api/v1/backtests/${id}/trades.csv`,
};
