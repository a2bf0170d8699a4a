import { useNavigate, useParams } from 'react-router';
import { isStatus } from '../api/client';
import { Alert, Spinner } from '../components/ui';
import { BotFormView } from '../features/bots/BotFormView';
import { useApiKeys, useBot, useSaveBot } from '../features/bots/queries';
import { idParam, lockReason } from '../features/bots/validation';
import { useBotLive } from '../features/live/LiveProvider';
import { NotFoundPage } from './NotFoundPage';

export function BotCreatePage() {
  const keys = useApiKeys();
  const save = useSaveBot();
  const navigate = useNavigate();
  return (
    <>
      <h1>New bot</h1>
      <BotFormView
        apiKeys={keys.data ?? []}
        submitLabel="Create bot"
        onSubmit={async (body) => {
          const bot = await save.mutateAsync(body);
          void navigate(`/bots/${bot.id}`);
        }}
      />
    </>
  );
}

export function BotEditPage() {
  const id = idParam(useParams().id);
  // An id the API could not hold is not looked up: no bot has it.
  return id === null ? <NotFoundPage what="bot" /> : <BotEdit id={id} />;
}

function BotEdit({ id }: { id: number }) {
  const bot = useBot(id);
  const keys = useApiKeys();
  const save = useSaveBot(id);
  const navigate = useNavigate();
  const live = useBotLive(bot.data);
  if (isStatus(bot.error, 404)) return <NotFoundPage what="bot" />;
  if (bot.isPending) return <Spinner label="Loading the bot" />;
  if (bot.isError) return <Alert>The bot could not be loaded: {bot.error.message}</Alert>;
  return (
    <>
      <h1>Edit {bot.data.name}</h1>
      <BotFormView
        key={bot.data.id}
        bot={bot.data}
        apiKeys={keys.data ?? []}
        submitLabel="Save changes"
        locked={lockReason(live)}
        onSubmit={async (body) => {
          await save.mutateAsync(body);
          void navigate(`/bots/${id}`);
        }}
      />
    </>
  );
}
