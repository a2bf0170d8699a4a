import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import type { BacktestDetail, Bot, Schemas } from '../../api/client';
import { keys } from '../../lib/queryKeys';
import { LiveConnection, type LiveOptions } from './connection';
import { type BacktestEvent, type LiveBot, type LiveStatus, liveFromBot, liveFromReading } from './types';

export type LiveMap = Record<number, LiveBot>;

const StatusContext = createContext<LiveStatus>('connecting');

/** The stream's state for the live dot. */
export function useLiveStatus(): LiveStatus {
  return useContext(StatusContext);
}

/** The live state of every bot (from the stream; empty until the first snapshot). */
export function useLiveMap(): LiveMap {
  return useQuery<LiveMap>({ queryKey: keys.live, queryFn: () => ({}), staleTime: Infinity, gcTime: Infinity })
    .data ?? {};
}

/** A bot's current view: the live map holds the newest of the stream's states and the REST
 * readings (see `applyEvents`), its REST representation stands in until there is one. */
export function useBotLive(bot: Bot | undefined): LiveBot | undefined {
  const live = useLiveMap();
  if (!bot) return undefined;
  return { ...liveFromBot(bot), ...live[bot.id] };
}

/** What each stream event, and each REST reading of bots, does to the query cache; exported
 * for tests.
 *
 * The live map keeps whichever is newer, the stream's state of a bot or a REST reading of it.
 * They carry no common version, so a logical clock orders them: it ticks once per message
 * received, and a reading counts as of the tick its request started at. Whatever arrived
 * before the request was committed before the server read the bot, so the reading replaces
 * it (a refetch while the stream was down is newer than the stream's last state); a message
 * that arrives during the request may be newer than the reading and is kept. */
export function applyEvents(client: QueryClient) {
  let clock = 0;
  const writtenAt = new Map<number, number>(); // bot id -> tick its live entry was written at
  const knownIds = () => new Set((client.getQueryData<Bot[]>(keys.bots) ?? []).map((b) => b.id));
  const refreshFor = (before: LiveBot | undefined, after: LiveBot) => {
    // A new trade: the bot's trades, chart markers and the totals change too.
    if (before && before.last_trade_at !== after.last_trade_at) {
      void client.invalidateQueries({ queryKey: keys.trades(after.bot_id) });
      void client.invalidateQueries({ queryKey: keys.chart(after.bot_id) });
      void client.invalidateQueries({ queryKey: keys.stats });
    }
  };
  return {
    /** The clock's current tick (a request started now counts as of it). */
    now: () => clock,
    snapshot(bots: LiveBot[]) {
      const previous = client.getQueryData<LiveMap>(keys.live) ?? {};
      const next: LiveMap = {};
      const tick = ++clock;
      writtenAt.clear();
      for (const b of bots) {
        next[b.bot_id] = b;
        writtenAt.set(b.bot_id, tick);
        refreshFor(previous[b.bot_id], b);
      }
      client.setQueryData<LiveMap>(keys.live, next);
      const known = knownIds();
      const same = known.size === bots.length && bots.every((b) => known.has(b.bot_id));
      if (!same && client.getQueryData(keys.bots) !== undefined) {
        void client.invalidateQueries({ queryKey: keys.bots, exact: true });
      }
    },
    state(bot: LiveBot) {
      const previous = client.getQueryData<LiveMap>(keys.live) ?? {};
      writtenAt.set(bot.bot_id, ++clock);
      refreshFor(previous[bot.bot_id], bot);
      client.setQueryData<LiveMap>(keys.live, { ...previous, [bot.bot_id]: bot });
      if (!knownIds().has(bot.bot_id) && client.getQueryData(keys.bots) !== undefined) {
        void client.invalidateQueries({ queryKey: keys.bots, exact: true });
      }
    },
    backtest(job: BacktestEvent) {
      const move = <T extends { id: number; status: string; progress: number }>(bt: T): T =>
        bt.id === job.id ? { ...bt, status: job.status, progress: job.progress } : bt;
      client.setQueryData<BacktestDetail>(keys.backtest(job.id), (bt) => bt && move(bt));
      const history = client.getQueryData<Schemas['BacktestPage']>(keys.backtests);
      if (history?.items.some((b) => b.id === job.id)) {
        client.setQueryData(keys.backtests, { ...history, items: history.items.map(move) });
      } else if (history) void client.invalidateQueries({ queryKey: keys.backtests, exact: true });
      // The report (or the reason it failed) is read once, when the job ends.
      if (job.status !== 'queued' && job.status !== 'running') {
        void client.invalidateQueries({ queryKey: keys.backtest(job.id), exact: true });
      }
    },
    /** REST readings of `bots` from a request started at tick `since`: each replaces a live
     * state that arrived before it. (Entries the app wrote itself from a mutation's answer
     * have no tick and count as oldest.) */
    readings(bots: Bot[], since: number) {
      const previous = client.getQueryData<LiveMap>(keys.live) ?? {};
      const next = { ...previous };
      let changed = false;
      for (const bot of bots) {
        const before = previous[bot.id];
        if (!before || (writtenAt.get(bot.id) ?? 0) > since) continue;
        const after = liveFromReading(bot, before);
        next[bot.id] = after;
        writtenAt.set(bot.id, since);
        refreshFor(before, after);
        changed = true;
      }
      if (changed) client.setQueryData<LiveMap>(keys.live, next);
    },
    deleted(botId: number) {
      writtenAt.delete(botId);
      const { [botId]: _gone, ...rest } = client.getQueryData<LiveMap>(keys.live) ?? {};
      client.setQueryData<LiveMap>(keys.live, rest);
      client.setQueryData<Bot[]>(keys.bots, (bots) => bots?.filter((b) => b.id !== botId));
      client.removeQueries({ queryKey: keys.bot(botId), exact: true });
    },
  };
}

/** Hands every fetched answer of the bots list or of one bot to `cache.readings`, with the
 * tick its request started at; returns the unsubscribe. */
export function watchReadings(client: QueryClient, cache: ReturnType<typeof applyEvents>): () => void {
  const startedAt = new Map<string, number>(); // query hash -> tick its fetch started at
  return client.getQueryCache().subscribe((e) => {
    if (e.type !== 'updated' || e.query.queryKey[0] !== keys.bots[0]) return;
    if (e.action.type === 'fetch') startedAt.set(e.query.queryHash, cache.now());
    else if (e.action.type === 'success' && !e.action.manual) {
      const since = startedAt.get(e.query.queryHash);
      const data = e.action.data as Bot[] | Bot | undefined;
      if (since !== undefined && data) cache.readings(Array.isArray(data) ? data : [data], since);
    }
  });
}

interface Props {
  children: ReactNode;
  options?: LiveOptions;
}

/** Opens the app's one status stream while mounted (inside the signed-in part). */
export function LiveProvider({ children, options }: Props) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    const cache = applyEvents(client);
    const unwatch = watchReadings(client, cache);
    const connection = new LiveConnection(
      {
        ...cache,
        status: setStatus,
        end(reason) {
          client.clear();
          void navigate('/login', { replace: true, state: { ended: reason } });
        },
      },
      {
        sessionAlive: async () => {
          const r = await fetch('/api/v1/users/me', { credentials: 'include' });
          return r.status !== 401;
        },
        ...options,
      },
    );
    connection.start();
    // The stream closes when the tab goes, not only when the app unmounts.
    const close = () => connection.stop();
    // A page restored from the back/forward cache opens it again (and resumes by id).
    const reopen = (e: PageTransitionEvent) => {
      if (e.persisted) connection.start();
    };
    window.addEventListener('pagehide', close);
    window.addEventListener('pageshow', reopen);
    return () => {
      window.removeEventListener('pagehide', close);
      window.removeEventListener('pageshow', reopen);
      unwatch();
      connection.stop();
    };
  }, [client, navigate, options]);

  return <StatusContext.Provider value={status}>{children}</StatusContext.Provider>;
}
