import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type BacktestCreate, type BacktestDetail, api, unwrap } from '../../api/client';
import { keys } from '../../lib/queryKeys';
import { useLiveStatus } from '../live/LiveProvider';

export const ACTIVE = ['queued', 'running'];

/** Where a finished job's trades download from (a plain link: the cookie authenticates it). */
export const tradesCsvUrl = (id: number) => `/api/v1/backtests/${id}/trades.csv`;

export function useBacktests() {
  return useQuery({ queryKey: keys.backtests, queryFn: () => unwrap(api.GET('/api/v1/backtests', { params: { query: { limit: 20 } } })) });
}

/** One job. Its progress arrives as `backtest` events on the status stream, so it is read
 * again only when the job ends, or every 2 s while the stream is down. */
export function useBacktest(id: number | null) {
  const status = useLiveStatus();
  return useQuery({
    queryKey: keys.backtest(id ?? 0),
    queryFn: () => unwrap(api.GET('/api/v1/backtests/{backtest_id}', { params: { path: { backtest_id: id! } } })),
    enabled: id !== null,
    retry: false,
    refetchInterval: (q) => (status !== 'connected' && q.state.data && ACTIVE.includes(q.state.data.status) ? 2000 : false),
  });
}

export function useCreateBacktest(onCreated: (id: number) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: BacktestCreate) => unwrap(api.POST('/api/v1/backtests', { body })),
    onSuccess: (bt) => {
      // Events of this job may have come before the answer: keep what they said, and read
      // the job once more in case it already ended.
      client.setQueryData<BacktestDetail>(keys.backtest(bt.id), (before) => before ?? bt);
      void client.invalidateQueries({ queryKey: keys.backtest(bt.id), exact: true });
      void client.invalidateQueries({ queryKey: keys.backtests, exact: true });
      onCreated(bt.id);
    },
  });
}

/** Cancels a queued or running job; deletes a finished one. */
export function useDeleteBacktest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE('/api/v1/backtests/{backtest_id}', { params: { path: { backtest_id: id } } })),
    onSuccess: (_d, id) => {
      void client.invalidateQueries({ queryKey: keys.backtest(id), exact: true });
      void client.invalidateQueries({ queryKey: keys.backtests, exact: true });
    },
  });
}
