export type TradeOrder = 'asc' | 'desc';

export const keys = {
  me: ['me'] as const,
  bots: ['bots'] as const,
  bot: (id: number) => ['bots', id] as const,
  live: ['live'] as const,
  /** A bot's trades in one order; without `order`, the key matches both orders. */
  trades: (botId: number, order?: TradeOrder) => (order ? (['trades', botId, order] as const) : (['trades', botId] as const)),
  chart: (botId: number) => ['chart', botId] as const,
  botErrors: (botId: number) => ['bot-errors', botId] as const,
  apiKeys: ['api-keys'] as const,
  stats: ['stats'] as const,
  /** Under `stats`, so whatever refreshes the totals refreshes a bot's P&L curve too. */
  botStats: (botId: number) => ['stats', 'bot', botId] as const,
  backtests: ['backtests'] as const,
  backtest: (id: number) => ['backtests', id] as const,
  telegram: ['telegram'] as const,
  alarms: ['alarms'] as const,
};
