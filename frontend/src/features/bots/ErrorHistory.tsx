import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Schemas } from '../../api/client';
import { Alert, Button, Spinner } from '../../components/ui';
import { dateTime } from '../../lib/format';
import { keys } from '../../lib/queryKeys';
import { useBotErrors } from './queries';

type BotError = Schemas['BotErrorOut'];

const kindText = (e: BotError) => (e.kind === 'permanent' ? 'Stopped the bot' : `Retried, attempt ${e.attempt}`);

/** Refetch the history when the live state shows an error it may not hold yet: a new last
 * error, another retry of the same one, or the bot stopping on one. */
function useRefreshOnLiveError(botId: number, lastError: string | null, retries: number, stopped: boolean) {
  const client = useQueryClient();
  const seen = useRef({ lastError, retries, stopped });
  useEffect(() => {
    const before = seen.current;
    seen.current = { lastError, retries, stopped };
    const changed = lastError !== before.lastError || retries !== before.retries || stopped !== before.stopped;
    if (lastError !== null && changed) void client.invalidateQueries({ queryKey: keys.botErrors(botId) });
  }, [client, botId, lastError, retries, stopped]);
}

interface Props {
  botId: number;
  /** The live state's last error message and whether the bot is stopped on an error. */
  lastError: string | null;
  /** Failed cycles in a row: a repeated error changes only this. */
  retries: number;
  stoppedOnError: boolean;
}

/** A bot's failed cycles, newest first, as the API keeps them; older ones page in. */
export function ErrorHistory({ botId, lastError, retries, stoppedOnError }: Props) {
  const errors = useBotErrors(botId);
  useRefreshOnLiveError(botId, lastError, retries, stoppedOnError);
  if (errors.isPending) return <Spinner label="Loading errors" />;
  if (errors.isError) return <Alert>Errors could not be loaded: {errors.error.message}</Alert>;
  const items = errors.data.pages.flatMap((p) => p.items);
  if (items.length === 0) return <p className="muted">No errors.</p>;
  return (
    <>
      <ul className="errors">
        {items.map((e) => (
          <li key={e.id} data-testid={`error-${e.id}`}>
            <time dateTime={e.occurred_at}>{dateTime(e.occurred_at)}</time>
            <span className="error-kind">{kindText(e)}:</span> {e.message}
          </li>
        ))}
      </ul>
      {errors.hasNextPage && (
        <Button onClick={() => void errors.fetchNextPage()} busy={errors.isFetchingNextPage}>
          Load older errors
        </Button>
      )}
    </>
  );
}
