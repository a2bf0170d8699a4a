import type { Bot } from '../../api/client';

/** A bot's live state: the payload of `snapshot` (each item) and `state` events
 * (src/tradebot/events/snapshot.py). `price` and `open_pnl` only while in a position. */
export interface LiveBot {
  bot_id: number;
  name: string;
  symbol: string;
  mode: string;
  is_active: boolean;
  status: string; // running | in_position | stopped | error
  in_position: boolean;
  entry_price: string | null;
  position_size: string | null;
  stop_loss_price: string | null;
  take_profit_price: string | null;
  trailing_stop_price: string | null;
  daily_pnl: string | null;
  daily_trades_count: number;
  last_trade_at: string | null;
  last_error_message: string | null;
  retry_count: number;
  stop_reason: string | null;
  pending_order: { side: string | null; client_order_id: string | null; since: string } | null;
  price?: string | null;
  open_pnl?: string | null;
}

/** A backtest job's `backtest` event on the same stream (src/tradebot/events/notify.py). */
export interface BacktestEvent {
  type: 'backtest';
  id: number;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number; // 0-100
}

export type LiveStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** The live view of a bot from its REST representation (before any event arrives). */
export function liveFromBot(bot: Bot): LiveBot {
  const s = bot.state;
  return {
    bot_id: bot.id,
    name: bot.name,
    symbol: bot.symbol,
    mode: bot.mode,
    is_active: bot.is_active,
    status: s.status === 'running' && s.in_position ? 'in_position' : s.status,
    in_position: s.in_position,
    entry_price: s.entry_price,
    position_size: s.current_position_size_coins,
    stop_loss_price: s.stop_loss_price,
    take_profit_price: s.take_profit_price,
    trailing_stop_price: s.trailing_stop_price,
    daily_pnl: s.daily_pnl,
    daily_trades_count: s.daily_trades_count,
    last_trade_at: s.last_trade_at,
    last_error_message: s.last_error_message,
    retry_count: s.retry_count,
    stop_reason: s.stop_reason,
    pending_order: s.pending_order
      ? { side: s.pending_order.side, client_order_id: s.pending_order.client_order_id, since: s.pending_order.since }
      : null,
  };
}

/** `bot`'s REST reading as its live view. Only the engine's events know the latest price and
 * open P&L, so while the bot stays in a position those of `before` are kept. */
export function liveFromReading(bot: Bot, before: LiveBot | undefined): LiveBot {
  const next = liveFromBot(bot);
  if (before?.in_position && next.in_position) return { ...next, price: before.price, open_pnl: before.open_pnl };
  return next;
}
