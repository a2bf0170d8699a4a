import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Bot, type BotCreate, type BotUpdate, api, unwrap } from '../../api/client';
import { type TradeOrder, keys } from '../../lib/queryKeys';
import { pnlCurve } from '../charts/pnl';
import type { LiveMap } from '../live/LiveProvider';
import { useLiveStatus } from '../live/LiveProvider';
import { liveFromBot } from '../live/types';

/** Refetch only while the stream is down: no polling while it is healthy. */
function useFallbackInterval(ms: number): number | false {
  const status = useLiveStatus();
  return status === 'offline' ? ms : false;
}

export function useBots() {
  const interval = useFallbackInterval(30_000);
  return useQuery({
    queryKey: keys.bots,
    queryFn: () => unwrap(api.GET('/api/v1/bots')),
    refetchInterval: interval,
  });
}

export function useBot(id: number) {
  const interval = useFallbackInterval(30_000);
  return useQuery({
    queryKey: keys.bot(id),
    queryFn: () => unwrap(api.GET('/api/v1/bots/{bot_id}', { params: { path: { bot_id: id } } })),
    enabled: Number.isInteger(id) && id > 0,
    retry: false,
    refetchInterval: interval,
  });
}

/** A bot's trades, newest or oldest first across all of them (the API sorts, the cursor
 * pages); the other order's rows of the same bot stay on screen while this order loads. */
export function useBotTrades(id: number, order: TradeOrder = 'desc', limit = 25) {
  return useInfiniteQuery({
    queryKey: keys.trades(id, order),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/bots/{bot_id}/trades', {
          params: { path: { bot_id: id }, query: { limit, order, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '' as string,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === id ? previous : undefined),
  });
}

export function useBotChart(id: number) {
  return useQuery({
    queryKey: keys.chart(id),
    queryFn: () => unwrap(api.GET('/api/v1/bots/{bot_id}/chart', { params: { path: { bot_id: id } } })),
    retry: false,
  });
}

/** A bot's failed cycles, newest first, paged by the API's cursor. */
export function useBotErrors(id: number, limit = 20) {
  return useInfiniteQuery({
    queryKey: keys.botErrors(id),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/bots/{bot_id}/errors', {
          params: { path: { bot_id: id }, query: { limit, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '' as string,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** The stats API's longest range is 366 days; a day less leaves room for clock skew. */
const PNL_SPAN_MS = 365 * 86_400_000;

/** A bot's realised P&L per UTC day since it was created (at most the last 365 days; the
 * all-time total minus the range's is what it made before). */
export function useBotPnl(bot: Pick<Bot, 'id' | 'created_at'>) {
  return useQuery({
    queryKey: keys.botStats(bot.id),
    queryFn: () => {
      const from = new Date(Math.max(Date.parse(bot.created_at), Date.now() - PNL_SPAN_MS)).toISOString();
      return unwrap(api.GET('/api/v1/stats', { params: { query: { bot_id: bot.id, from } } }));
    },
    select: pnlCurve,
    retry: false,
  });
}

/** The P&L totals (the API's default range; today and all time are what the dashboard shows). */
export function useStats() {
  return useQuery({ queryKey: keys.stats, queryFn: () => unwrap(api.GET('/api/v1/stats')), retry: false });
}

export function useApiKeys() {
  return useQuery({ queryKey: keys.apiKeys, queryFn: () => unwrap(api.GET('/api/v1/api-keys')) });
}

/** Put a bot the API returned into every cached view of it. */
export function useStoreBot() {
  const client = useQueryClient();
  return (bot: Bot) => {
    client.setQueryData(keys.bot(bot.id), bot);
    client.setQueryData<Bot[]>(keys.bots, (list) => {
      if (!list) return list;
      return list.some((b) => b.id === bot.id) ? list.map((b) => (b.id === bot.id ? bot : b)) : [...list, bot];
    });
    client.setQueryData<LiveMap>(keys.live, (live) => {
      const before = live?.[bot.id];
      const next = liveFromBot(bot);
      // The price and open P&L come only from the engine's events: keep the last ones.
      if (before?.in_position && next.in_position) Object.assign(next, { price: before.price, open_pnl: before.open_pnl });
      return { ...live, [bot.id]: next };
    });
  };
}

export function useStartStop() {
  const store = useStoreBot();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'start' | 'stop' }) =>
      action === 'start'
        ? unwrap(api.POST('/api/v1/bots/{bot_id}/start', { params: { path: { bot_id: id } } }))
        : unwrap(api.POST('/api/v1/bots/{bot_id}/stop', { params: { path: { bot_id: id } } })),
    onSuccess: store,
  });
}

export function useSaveBot(id?: number) {
  const store = useStoreBot();
  return useMutation({
    mutationFn: (body: BotCreate | BotUpdate) =>
      id === undefined
        ? unwrap(api.POST('/api/v1/bots', { body: body as BotCreate }))
        : unwrap(api.PATCH('/api/v1/bots/{bot_id}', { params: { path: { bot_id: id } }, body: body as BotUpdate })),
    onSuccess: store,
  });
}

export function useDeleteBot() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/v1/bots/{bot_id}', { params: { path: { bot_id: id } } })),
    onSuccess: (_d, id) => {
      client.setQueryData<Bot[]>(keys.bots, (list) => list?.filter((b) => b.id !== id));
      client.removeQueries({ queryKey: keys.bot(id), exact: true });
    },
  });
}
