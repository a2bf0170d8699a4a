import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type Alarm, type AlarmCreate, ApiError, type LinkCode, type LinkedChat, type NotificationSwitches, isStatus } from '../api/client';
import { Field } from '../components/Field';
import { RelativeTime } from '../components/RelativeTime';
import { Alert, Button, ConfirmDialog, Spinner, TableWrap } from '../components/ui';
import { ALARM_KINDS, type AlarmKind, useAlarms, useCreateAlarm, useDeleteAlarm } from '../features/alarms/queries';
import { TIMEFRAMES } from '../features/bots/validation';
import { useLinkCode, useSetSwitches, useTelegram, useUnlink } from '../features/telegram/queries';
import { dateTime, price } from '../lib/format';

const OFFLINE = 'The server cannot be reached.';
const errorText = (e: unknown, prefix = '') => (e instanceof ApiError ? `${prefix}${e.message}` : OFFLINE);

/** "9 min 58 s" left until `until`, kept current every second until it is past. */
function Countdown({ until }: { until: string }) {
  const end = Date.parse(until);
  const [now, setNow] = useState(() => Date.now());
  const expired = now >= end;
  useEffect(() => {
    if (expired) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [expired]);
  if (expired) return <span role="status">This code has expired: get a new one.</span>;
  const left = Math.ceil((end - now) / 1000);
  const min = Math.floor(left / 60);
  return (
    <span data-testid="link-code-expiry">
      Valid for {min > 0 && `${min} min `}
      {left % 60} s more, until <time dateTime={until}>{dateTime(until)}</time>. Using it, or getting a new one, ends it.
    </span>
  );
}

/** The one-time code to send the bot, with a copy button and the deep link when there is one. */
function CodeBox({ code, bot }: { code: LinkCode; bot: string | null }) {
  const command = `/link ${code.code}`;
  const [copied, setCopied] = useState<string | null>(null);
  const value = useRef<HTMLElement>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(`Copied ${command}: paste it in the chat with the bot.`);
    } catch {
      // No clipboard (a page not served over HTTPS): select the code for a copy by hand.
      const range = document.createRange();
      if (value.current) range.selectNodeContents(value.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied('The browser does not allow copying here: the code is selected, copy it by hand.');
    }
  }

  return (
    <div className="link-code" data-testid="link-code">
      <p className="link-code__how">
        Send <code>{command}</code> to {bot ? <strong>@{bot}</strong> : 'the bot'} in a private chat.
      </p>
      <div className="link-code__row">
        <code className="link-code__value" ref={value} data-testid="link-code-value">
          {code.code}
        </code>
        <Button onClick={() => void copy()} aria-label={`Copy ${command}`}>
          Copy
        </Button>
        {code.deep_link && (
          <a className="btn btn--primary" href={code.deep_link} target="_blank" rel="noopener noreferrer">
            Open in Telegram
          </a>
        )}
      </div>
      {copied && (
        <p className="link-code__note" role="status">
          {copied}
        </p>
      )}
      <p className="link-code__note muted">
        <Countdown until={code.expires_at} />
      </p>
    </div>
  );
}

const SWITCHES: [keyof NotificationSwitches, string][] = [
  ['trade', 'Trades executed'],
  ['stopped', 'A bot stopped (daily target, loss limit, by hand, error)'],
  ['error', 'Bot errors'],
  ['alarm', 'Alarms fired'],
];

function Linked({ link, onError }: { link: LinkedChat; onError: (message: string | null) => void }) {
  const setSwitches = useSetSwitches();
  const unlink = useUnlink();
  const [confirm, setConfirm] = useState(false);

  async function toggle(key: keyof NotificationSwitches, on: boolean) {
    onError(null);
    try {
      await setSwitches.mutateAsync({ [key]: on });
    } catch (e) {
      onError(isStatus(e, 404) ? 'This chat is no longer linked (it was unlinked from the chat, or elsewhere).' : errorText(e, 'Not saved: '));
    }
  }

  async function del() {
    setConfirm(false);
    onError(null);
    try {
      await unlink.mutateAsync();
    } catch (e) {
      onError(errorText(e, 'Not unlinked: '));
    }
  }

  return (
    <>
      <p data-testid="telegram-linked">
        Linked to {link.username ? <strong>@{link.username}</strong> : 'a chat'} (chat ID {link.chat_id}) since{' '}
        <time dateTime={link.linked_at}>{dateTime(link.linked_at)}</time>.
      </p>
      <fieldset className="switches" aria-busy={setSwitches.isPending || undefined}>
        <legend>Send to this chat</legend>
        {SWITCHES.map(([key, label]) => (
          <Field key={key} label={label} inline>
            {(p) => (
              <input {...p} type="checkbox" name={key} checked={link.notifications[key]} onChange={(e) => void toggle(key, e.target.checked)} />
            )}
          </Field>
        ))}
      </fieldset>
      <div className="form-actions">
        <Button variant="danger" onClick={() => setConfirm(true)} busy={unlink.isPending}>
          Unlink
        </Button>
      </div>
      <ConfirmDialog open={confirm} title="Unlink this chat?" confirmLabel="Unlink the chat" onConfirm={() => void del()} onCancel={() => setConfirm(false)}>
        <p>It gets no more notifications, and its commands no longer reach your account. A new code links it again.</p>
      </ConfirmDialog>
    </>
  );
}

function TelegramSection() {
  const [code, setCode] = useState<LinkCode | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [linkedNow, setLinkedNow] = useState(false);
  const telegram = useTelegram(code?.expires_at ?? null);
  const issue = useLinkCode();
  const link = telegram.data?.link ?? null;

  // The code was sent from the chat: it is used up, and the page says the link is made.
  useEffect(() => {
    if (!link || !code) return;
    setCode(null);
    setLinkedNow(true);
  }, [link, code]);

  async function getCode() {
    setMessage(null);
    setLinkedNow(false);
    try {
      setCode(await issue.mutateAsync());
    } catch (e) {
      setMessage(errorText(e, 'No code: '));
    }
  }

  return (
    <section className="card" aria-labelledby="telegram-title">
      <h2 id="telegram-title" className="card__title">
        Telegram
      </h2>
      {telegram.isPending ? (
        <Spinner label="Loading the Telegram link" />
      ) : telegram.isError ? (
        <Alert>The Telegram link could not be loaded: {telegram.error.message}</Alert>
      ) : (
        <>
          {linkedNow && link && <Alert tone="success">Your chat is linked.</Alert>}
          {message && <Alert>{message}</Alert>}
          {link ? (
            <Linked link={link} onError={setMessage} />
          ) : (
            <>
              <p className="muted">
                Link a private Telegram chat to be told of trades, stopped bots, errors and alarms, and to check on your bots from the chat.
              </p>
              {!telegram.data.bot_username && (
                <Alert tone="info">
                  This installation has no Telegram bot configured (<code>TELEGRAM_BOT_TOKEN</code> is not set), so nothing answers in Telegram yet.
                  A code can still be issued.
                </Alert>
              )}
              {code && <CodeBox key={code.code} code={code} bot={telegram.data.bot_username} />}
              <div className="form-actions">
                <Button variant={code ? 'secondary' : 'primary'} busy={issue.isPending} onClick={() => void getCode()}>
                  {code ? 'Get a new code' : 'Get a link code'}
                </Button>
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}

const KIND_LABEL: Record<AlarmKind, string> = {
  price_above: 'Price above',
  price_below: 'Price below',
  rsi_above: 'RSI above',
  rsi_below: 'RSI below',
  ema_cross: 'EMA cross',
};
const SHOWN_FIELDS = ['symbol', 'kind', 'threshold', 'timeframe'];
const takesThreshold = (kind: AlarmKind) => kind !== 'ema_cross';
const takesTimeframe = (kind: AlarmKind) => !kind.startsWith('price_');

function AddAlarm() {
  const create = useCreateAlarm();
  const [symbol, setSymbol] = useState('');
  const [kind, setKind] = useState<AlarmKind>('price_above');
  const [threshold, setThreshold] = useState('');
  const [timeframe, setTimeframe] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [added, setAdded] = useState<Alarm | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setMessage(null);
    setAdded(null);
    const local: Record<string, string> = {};
    if (!symbol.trim()) local.symbol = 'required, such as BTC/USDT or BTC';
    const level = Number(threshold.trim());
    if (takesThreshold(kind) && (!threshold.trim() || !Number.isFinite(level) || level <= 0)) local.threshold = 'a number above 0';
    if (Object.keys(local).length) return setErrors(local);
    const body: AlarmCreate = { symbol: symbol.trim(), kind };
    if (takesThreshold(kind)) body.threshold = threshold.trim();
    if (takesTimeframe(kind) && timeframe) body.timeframe = timeframe as NonNullable<AlarmCreate['timeframe']>;
    try {
      setAdded(await create.mutateAsync(body));
      setSymbol('');
      setThreshold('');
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        // A 409 (the per-user limit) says it in a sentence, as do errors of no field on the form.
        const elsewhere = err.errors.filter((f) => !SHOWN_FIELDS.includes(f.field));
        setMessage(!err.errors.length ? err.message : elsewhere.length ? elsewhere.map((f) => `${f.field}: ${f.reason}`).join('; ') : null);
      } else setMessage(OFFLINE);
    }
  }

  return (
    <>
      <h3 className="settings__subtitle">Add an alarm</h3>
      {added && <Alert tone="success">Alarm added: {added.description}.</Alert>}
      {message && <Alert>{message}</Alert>}
      <form onSubmit={submit} noValidate aria-label="Add an alarm" className="form-grid">
        <Field label="Symbol" error={errors.symbol} help="BTC/USDT, BTCUSDT or BTC (USDT by default).">
          {(p) => <input {...p} name="symbol" autoComplete="off" spellCheck={false} value={symbol} onChange={(e) => setSymbol(e.target.value)} />}
        </Field>
        <Field label="Condition" error={errors.kind}>
          {(p) => (
            <select {...p} name="kind" value={kind} onChange={(e) => setKind(e.target.value as AlarmKind)}>
              {ALARM_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {takesThreshold(kind) && (
          <Field label="Threshold" error={errors.threshold} help={kind.startsWith('rsi_') ? 'An RSI level, 1 to 99.' : 'A price, in the quote currency.'}>
            {(p) => <input {...p} name="threshold" inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} />}
          </Field>
        )}
        {takesTimeframe(kind) && (
          <Field label="Timeframe" error={errors.timeframe}>
            {(p) => (
              <select {...p} name="timeframe" value={timeframe} onChange={(e) => setTimeframe(e.target.value)}>
                <option value="">1h (the default)</option>
                {TIMEFRAMES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Add alarm
          </Button>
        </div>
      </form>
    </>
  );
}

/** The watched figure: a price, an RSI level, or the fast EMA minus the slow one. */
function lastValue(a: Alarm): string {
  if (a.last_value === null) return '—';
  return a.kind.startsWith('rsi_') ? Number(a.last_value).toFixed(1) : price(a.last_value);
}

function AlarmRow({ a }: { a: Alarm }) {
  const remove = useDeleteAlarm();
  const [error, setError] = useState<string | null>(null);

  async function del() {
    setError(null);
    try {
      await remove.mutateAsync(a.id);
    } catch (e) {
      setError(errorText(e, 'Not deleted: '));
    }
  }

  return (
    <tr data-testid={`alarm-row-${a.id}`}>
      <td>{a.description}</td>
      <td className="num" title={a.last_checked_at ? `Checked ${dateTime(a.last_checked_at)}` : 'Not checked yet'}>
        {lastValue(a)}
      </td>
      <td className="num">{a.fired_count}</td>
      <td>
        <RelativeTime value={a.last_fired_at} />
      </td>
      <td>
        <div className="row-actions">
          <Button variant="ghost" onClick={() => void del()} busy={remove.isPending} aria-label={`Delete alarm ${a.description}`}>
            Delete
          </Button>
          {error && (
            <div className="row-result row-result--error" role="alert">
              {error}
            </div>
          )}
        </div>
      </td>
    </tr>
  );
}

function AlarmsSection() {
  const list = useAlarms();
  return (
    <section className="card" aria-labelledby="alarms-title">
      <h2 id="alarms-title" className="card__title">
        Alarms
      </h2>
      <p className="muted">
        An alarm watches a price, the RSI or an EMA cross and tells the linked chat when it fires. Set one from the chat, such as{' '}
        <code>/alarm BTC price &gt; 65000</code>, with <code>POST /api/v1/alarms</code>, or here.
      </p>
      {list.isPending ? (
        <Spinner label="Loading alarms" />
      ) : list.isError ? (
        <Alert>Alarms could not be loaded: {list.error.message}</Alert>
      ) : list.data.length === 0 ? (
        <p className="muted" data-testid="alarms-empty">
          No alarms yet.
        </p>
      ) : (
        <TableWrap label="Alarms table">
          <table className="table" data-testid="alarms-table">
            <thead>
              <tr>
                <th scope="col">Alarm</th>
                <th scope="col" className="num">
                  Last value
                </th>
                <th scope="col" className="num">
                  Fired
                </th>
                <th scope="col">Last fired</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((a) => (
                <AlarmRow key={a.id} a={a} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <AddAlarm />
    </section>
  );
}

export function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <TelegramSection />
      <AlarmsSection />
    </>
  );
}
