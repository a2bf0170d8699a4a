import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Alarm, type AlarmCreate, api, isStatus, unwrap } from '../../api/client';
import { keys } from '../../lib/queryKeys';

export const ALARM_KINDS = ['price_above', 'price_below', 'rsi_above', 'rsi_below', 'ema_cross'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/** The caller's alarms. The worker checks them in the background, so their last values are
 * read again every minute while the list is shown. */
export function useAlarms() {
  return useQuery({ queryKey: keys.alarms, queryFn: () => unwrap(api.GET('/api/v1/alarms')), refetchInterval: 60_000 });
}

export function useCreateAlarm() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AlarmCreate) => unwrap(api.POST('/api/v1/alarms', { body })),
    onSuccess: (a) => client.setQueryData<Alarm[]>(keys.alarms, (list) => [...(list ?? []), a]),
  });
}

export function useDeleteAlarm() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      try {
        await unwrap(api.DELETE('/api/v1/alarms/{alarm_id}', { params: { path: { alarm_id: id } } }));
      } catch (e) {
        // Gone already (deleted from the chat): what was asked for is done.
        if (!isStatus(e, 404)) throw e;
      }
    },
    onSuccess: (_d, id) => client.setQueryData<Alarm[]>(keys.alarms, (list) => list?.filter((a) => a.id !== id)),
  });
}
