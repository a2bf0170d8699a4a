import { type FormEvent, type ReactNode, useState } from 'react';
import type { ApiKey, Bot } from '../../api/client';
import { ApiError } from '../../api/client';
import { Field } from '../../components/Field';
import { Alert, Button } from '../../components/ui';
import {
  type BotForm,
  DEFAULTS,
  type Errors,
  MODES,
  type StrategyForm,
  TIMEFRAMES,
  formField,
  formFromBot,
  toChanges,
  toPayload,
  validate,
} from './validation';

/** A form's values, with each field's error: the server's if it refused the field, else the
 * rules' once the field was left or the form sent. */
export interface FormKit<F> {
  form: F;
  update<K extends keyof F & string>(k: K, v: F[K]): void;
  error(k: string): string | undefined;
  blur(k: string): () => void;
}

/** The state of a form checked by `check` (the API's rules) and sent by `submit`. */
export function useFormKit<F extends object>(initial: F | (() => F), check: (f: F) => Errors<F>) {
  const [form, setForm] = useState<F>(initial);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const local: Record<string, string | undefined> = check(form);

  /** Change some fields; the server's errors on them no longer apply. */
  const patch = (p: Partial<F>) => {
    setForm((f) => ({ ...f, ...p }));
    setServer((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !(k in p))));
  };
  const kit: FormKit<F> = {
    form,
    update: (k, v) => patch({ [k]: v } as unknown as Partial<F>),
    error: (k) => server[k] ?? (submitted || touched.has(k) ? local[k] : undefined),
    blur: (k) => () => setTouched((t) => new Set(t).add(k)),
  };

  /** Run `send` if every rule passes. A refusal's field errors land on the fields `shown`
   * (by form field name); any other goes into the message, so none is lost. */
  async function submit(send: () => Promise<unknown>, shown: (field: string) => boolean) {
    setSubmitted(true);
    setMessage(null);
    setServer({});
    if (Object.values(local).some(Boolean)) {
      setMessage('Some fields need attention.');
      return;
    }
    setBusy(true);
    try {
      await send();
    } catch (err) {
      if (!(err instanceof ApiError)) {
        setMessage('The server cannot be reached. Try again in a moment.');
        return;
      }
      const placed: Record<string, string> = {};
      const elsewhere: string[] = [];
      for (const fe of err.errors) {
        const k = formField(fe.field);
        if (shown(k)) placed[k] ??= fe.reason;
        else elsewhere.push(`${fe.field}: ${fe.reason}`);
      }
      setServer(placed);
      if (elsewhere.length) setMessage(`The server refused: ${elsewhere.join('; ')}.`);
      else if (err.errors.length) setMessage('The server refused some fields.');
      else setMessage(err.message + (err.retryAfter ? ` Try again in ${err.retryAfter} s.` : ''));
    } finally {
      setBusy(false);
    }
  }

  return { kit, patch, submit, message, busy };
}

type TextKey<F> = { [K in keyof F]: F[K] extends string ? K : never }[keyof F] & string;

interface TextProps<F> {
  kit: FormKit<F>;
  name: TextKey<F>;
  label: string;
  help: ReactNode;
  inputMode?: 'decimal' | 'numeric';
  placeholder?: string;
  disabled?: boolean;
}

/** A text input bound to a field of `kit`. */
export function TextField<F>({ kit, name, label, help, inputMode, placeholder, disabled }: TextProps<F>) {
  return (
    <Field label={label} error={kit.error(name)} help={help}>
      {(p) => (
        <input
          {...p}
          name={name}
          value={kit.form[name] as string}
          inputMode={inputMode}
          placeholder={placeholder}
          disabled={disabled}
          onChange={(e) => kit.update(name, e.target.value as F[typeof name])}
          onBlur={kit.blur(name)}
        />
      )}
    </Field>
  );
}

const HELP = {
  bot: {
    initial_capital: 'Optional. Simulated starting balance of paper and demo bots, and the base of the daily limits; over 0, up to 20 digits before the point and 18 after.',
    max_daily_trades: 'Optional, 1 to 10000; a round trip counts as two.',
  },
  backtest: {
    initial_capital: "Optional. The starting balance in the quote asset (empty: the server's SIM_START_BALANCE); over 0, up to 20 digits before the point and 18 after.",
    max_daily_trades: 'Optional, 1 to 10000 entries per UTC day.',
  },
};

interface StrategyProps {
  kit: FormKit<StrategyForm>;
  /** Whose settings these are: the help of a few fields differs. */
  of: keyof typeof HELP;
  /** More fields for the daily limits, before the trade limit. */
  dailyLimits?: ReactNode;
}

/** The strategy settings (`StrategyFields`), the same for a bot and a backtest. */
export function StrategyFieldsets({ kit, of, dailyLimits }: StrategyProps) {
  const { form, update } = kit;
  const perc = form.size_kind === 'perc';
  return (
    <>
      <fieldset>
        <legend>Position size</legend>
        <div className="radio-row" role="radiogroup" aria-label="Position size kind">
          <label>
            <input type="radio" name="size_kind" checked={perc} onChange={() => update('size_kind', 'perc')} /> Percentage of the free balance
          </label>
          <label>
            <input type="radio" name="size_kind" checked={!perc} onChange={() => update('size_kind', 'fixed')} /> Fixed amount of the quote asset
          </label>
        </div>
        <div className="form-grid">
          <TextField
            kit={kit}
            name="position_size"
            label={perc ? 'Position size (%)' : 'Position size (quote)'}
            help={
              perc
                ? 'Per trade, over 0 and up to 100, up to 4 decimals; fees included.'
                : 'Per trade, in the quote asset (USDT for BTC/USDT); over 0, up to 20 digits before the point and 18 after.'
            }
            inputMode="decimal"
          />
          <TextField kit={kit} name="initial_capital" label="Initial capital" help={HELP[of].initial_capital} inputMode="decimal" placeholder="default" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Exits</legend>
        <div className="form-grid">
          <TextField kit={kit} name="stop_loss_perc" label="Stop-loss (%)" help="Exit when the price falls this far below the entry. Over 0 and under 100, up to 4 decimals." inputMode="decimal" />
          <TextField kit={kit} name="take_profit_perc" label="Take-profit (%)" help="Exit when the price rises this far above the entry. Over 0, up to 100, up to 4 decimals." inputMode="decimal" />
          <TextField
            kit={kit}
            name="trailing_stop_perc"
            label="Trailing stop (%)"
            help="Optional. Distance below the highest price since the entry; over 0 and under 100, up to 4 decimals."
            inputMode="decimal"
            placeholder="off"
          />
          <Field label="Trailing stop on" inline error={kit.error('trailing_stop_active')} help="Follows the price up once on; needs a trailing stop percentage.">
            {(p) => <input {...p} type="checkbox" name="trailing_stop_active" checked={form.trailing_stop_active} onChange={(e) => update('trailing_stop_active', e.target.checked)} />}
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>Signals</legend>
        <div className="form-grid">
          <TextField kit={kit} name="ema_fast" label="EMA fast" help="Periods, 2 to 500; less than EMA slow." inputMode="numeric" />
          <TextField kit={kit} name="ema_slow" label="EMA slow" help="Periods, 2 to 500. A golden cross of the two enters." inputMode="numeric" />
          <TextField kit={kit} name="rsi_period" label="RSI period" help="Periods, 2 to 500." inputMode="numeric" />
          <TextField kit={kit} name="rsi_oversold" label="RSI oversold" help="1 to 99; less than overbought. A rebound above it enters in an uptrend." inputMode="numeric" />
          <TextField kit={kit} name="rsi_overbought" label="RSI overbought" help="1 to 99. Above it no entry, and an open position exits." inputMode="numeric" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Daily limits</legend>
        <div className="form-grid">
          {dailyLimits}
          <TextField kit={kit} name="max_daily_trades" label="Max daily trades" help={HELP[of].max_daily_trades} inputMode="numeric" placeholder="no limit" />
        </div>
      </fieldset>
    </>
  );
}

interface Props {
  bot?: Bot;
  apiKeys: ApiKey[];
  onSubmit: (body: ReturnType<typeof toPayload> | ReturnType<typeof toChanges>) => Promise<unknown>;
  submitLabel: string;
  /** Why symbol, mode and key cannot change now (the live state's position), if so. */
  locked?: string | null;
}

const isBotField = (k: string) => k in DEFAULTS;

/** Every field of a bot with the API's rules checked as you go and its errors on their fields. */
export function BotFormView({ bot, apiKeys, onSubmit, submitLabel, locked = null }: Props) {
  const { kit, submit, message, busy } = useFormKit<BotForm>(() => (bot ? formFromBot(bot) : DEFAULTS), validate);
  const { form, update } = kit;
  const send = (e: FormEvent) => {
    e.preventDefault();
    void submit(() => onSubmit(bot ? toChanges(form, bot) : toPayload(form)), isBotField);
  };
  const lockedHelp = locked ? `Locked: ${locked}.` : null;
  const exchangeMode = form.mode === 'live' || form.mode === 'testnet';
  return (
    <form className="bot-form" onSubmit={send} noValidate aria-label={submitLabel}>
      {message && <Alert>{message}</Alert>}
      {locked && <Alert tone="info">Symbol, mode and API key cannot change now: {locked}.</Alert>}
      <fieldset>
        <legend>Market</legend>
        <div className="form-grid">
          <TextField kit={kit} name="name" label="Name" help="Shown on the dashboard; 1 to 100 characters." />
          <TextField kit={kit} name="symbol" label="Symbol" help={lockedHelp ?? 'A spot market as BASE/QUOTE, e.g. BTC/USDT.'} disabled={Boolean(locked)} />
          <Field label="Timeframe" error={kit.error('timeframe')} help="Candle length; decisions are taken on closed candles.">
            {(p) => (
              <select {...p} name="timeframe" value={form.timeframe} onChange={(e) => update('timeframe', e.target.value)}>
                {TIMEFRAMES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Mode"
            error={kit.error('mode')}
            help={lockedHelp ?? 'demo: simulated market and money; paper: real prices, simulated fills; testnet and live need an API key.'}
          >
            {(p) => (
              <select {...p} name="mode" value={form.mode} disabled={Boolean(locked)} onChange={(e) => update('mode', e.target.value)}>
                {MODES.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="API key"
            error={kit.error('api_key_id')}
            help={lockedHelp ?? (exchangeMode ? 'The Binance key this bot trades with (needed to start it).' : 'Only live and testnet bots use a key.')}
          >
            {(p) => (
              <select
                {...p}
                name="api_key_id"
                value={form.api_key_id}
                disabled={Boolean(locked) || (!exchangeMode && !form.api_key_id)}
                onChange={(e) => update('api_key_id', e.target.value)}
              >
                <option value="">None</option>
                {apiKeys.map((k) => (
                  <option key={k.id} value={String(k.id)}>
                    {k.label || 'Key'} {k.api_key_masked}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <TextField kit={kit} name="check_interval_seconds" label="Check interval (s)" help="How often the bot checks the price: 10 to 86400 seconds." inputMode="numeric" />
        </div>
      </fieldset>
      <StrategyFieldsets
        kit={kit}
        of="bot"
        dailyLimits={
          <>
            <TextField kit={kit} name="daily_target_perc" label="Daily target (%)" help="Optional. Stop for the day once the P&L reaches it; over 0, up to 100." inputMode="decimal" placeholder="none" />
            <TextField kit={kit} name="max_daily_loss_perc" label="Max daily loss (%)" help="Optional. Close and stop once the day loses this much; over 0, up to 100." inputMode="decimal" placeholder="none" />
          </>
        }
      />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
