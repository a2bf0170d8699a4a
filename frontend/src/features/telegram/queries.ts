import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type NotificationSwitches, type Telegram, api, isStatus, unwrap } from '../../api/client';
import { keys } from '../../lib/queryKeys';

/** How often the link is read again while a code waits to be sent from the chat. */
const WAITING_POLL_MS = 5_000;

/** The caller's linked chat (null when none) and the bot's name. While a code is out
 * (`codeExpiresAt`, until then), it is read again every few seconds, so the page shows the
 * link as soon as the chat sends the code. */
export function useTelegram(codeExpiresAt: string | null = null) {
  return useQuery({
    queryKey: keys.telegram,
    queryFn: () => unwrap(api.GET('/api/v1/telegram')),
    refetchInterval: (q) =>
      codeExpiresAt && !q.state.data?.link && Date.now() < Date.parse(codeExpiresAt) ? WAITING_POLL_MS : false,
  });
}

/** A new one-time code (10 minutes); it replaces any earlier one. */
export function useLinkCode() {
  return useMutation({ mutationFn: () => unwrap(api.POST('/api/v1/telegram/link-code')) });
}

export function useUnlink() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await unwrap(api.DELETE('/api/v1/telegram'));
      } catch (e) {
        // Unlinked already (from the chat, or another tab): what was asked for is done.
        if (!isStatus(e, 404)) throw e;
      }
    },
    onSuccess: () => client.setQueryData<Telegram>(keys.telegram, (t) => (t ? { ...t, link: null } : t)),
  });
}

type Switches = Partial<NotificationSwitches>;
const SWITCHES = ['telegram', 'switches'] as const;

function withSwitches(t: Telegram | undefined, change: Switches): Telegram | undefined {
  if (!t?.link) return t;
  return { ...t, link: { ...t.link, notifications: { ...t.link.notifications, ...change } } };
}

/** Turns notification kinds on or off. The switches move at once and move back if the API
 * refuses; a 404 means the chat was unlinked meanwhile, so the link is read again. */
export function useSetSwitches() {
  const client = useQueryClient();
  return useMutation({
    mutationKey: SWITCHES,
    mutationFn: (body: Switches) => unwrap(api.PATCH('/api/v1/telegram', { body })),
    onMutate: async (change) => {
      await client.cancelQueries({ queryKey: keys.telegram, exact: true });
      const before = client.getQueryData<Telegram>(keys.telegram);
      client.setQueryData<Telegram>(keys.telegram, (t) => withSwitches(t, change));
      return { before };
    },
    onError: (e, change, context) => {
      if (isStatus(e, 404)) return void client.invalidateQueries({ queryKey: keys.telegram, exact: true });
      const was = context?.before?.link?.notifications;
      if (!was) return;
      // Undo only this change: another switch may have moved since.
      const undo = Object.fromEntries(Object.keys(change).map((k) => [k, was[k as keyof NotificationSwitches]])) as Switches;
      client.setQueryData<Telegram>(keys.telegram, (t) => withSwitches(t, undo));
    },
    // With other changes still on their way, this answer does not know them yet: keep the
    // switches as they are shown until the last one answers.
    onSuccess: (t) => {
      if (client.isMutating({ mutationKey: SWITCHES }) <= 1) client.setQueryData(keys.telegram, t);
    },
  });
}
