import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import type { BacktestDetail, Bot, Schemas } from '../../api/client';
import { keys } from '../../lib/queryKeys';
import { LiveConnection, type LiveOptions } from './connection';
import { type BacktestEvent, type LiveBot, type LiveStatus, liveFromBot } from './types';

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

/** A bot's current view: its REST representation with the stream's latest state on top. */
export function useBotLive(bot: Bot | undefined): LiveBot | undefined {
  const live = useLiveMap();
  if (!bot) return undefined;
  return { ...liveFromBot(bot), ...live[bot.id] };
}

/** What each event does to the query cache; exported for tests. */
export function applyEvents(client: QueryClient) {
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
    snapshot(bots: LiveBot[]) {
      const previous = client.getQueryData<LiveMap>(keys.live) ?? {};
      const next: LiveMap = {};
      for (const b of bots) {
        next[b.bot_id] = b;
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
    deleted(botId: number) {
      const { [botId]: _gone, ...rest } = client.getQueryData<LiveMap>(keys.live) ?? {};
      client.setQueryData<LiveMap>(keys.live, rest);
      client.setQueryData<Bot[]>(keys.bots, (bots) => bots?.filter((b) => b.id !== botId));
      client.removeQueries({ queryKey: keys.bot(botId), exact: true });
    },
  };
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
      connection.stop();
    };
  }, [client, navigate, options]);

  return <StatusContext.Provider value={status}>{children}</StatusContext.Provider>;
}
