export const keys = {
  me: ['me'] as const,
  bots: ['bots'] as const,
  bot: (id: number) => ['bots', id] as const,
  live: ['live'] as const,
  trades: (botId: number) => ['trades', botId] as const,
  chart: (botId: number) => ['chart', botId] as const,
  apiKeys: ['api-keys'] as const,
  stats: ['stats'] as const,
  backtests: ['backtests'] as const,
  backtest: (id: number) => ['backtests', id] as const,
};
