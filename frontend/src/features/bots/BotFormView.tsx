import { type FormEvent, type ReactNode, useState } from 'react';
import type { ApiKey, Bot } from '../../api/client';
import { ApiError } from '../../api/client';
import { Field } from '../../components/Field';
import { Alert, Button } from '../../components/ui';
import {
  type BotForm,
  DEFAULTS,
  type FormErrors,
  MODES,
  TIMEFRAMES,
  formField,
  formFromBot,
  toChanges,
  toPayload,
  validate,
} from './validation';

interface Props {
  bot?: Bot;
  apiKeys: ApiKey[];
  onSubmit: (body: ReturnType<typeof toPayload> | ReturnType<typeof toChanges>) => Promise<unknown>;
  submitLabel: string;
  /** Why symbol, mode and key cannot change now (the live state's position), if so. */
  locked?: string | null;
}

type TextKey = { [K in keyof BotForm]: BotForm[K] extends string ? K : never }[keyof BotForm];

/** Every field of a bot with the API's rules checked as you go and its errors on their fields. */
export function BotFormView({ bot, apiKeys, onSubmit, submitLabel, locked = null }: Props) {
  const [form, setForm] = useState<BotForm>(() => (bot ? formFromBot(bot) : DEFAULTS));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<FormErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const local = validate(form);
  const show = (k: keyof FormErrors) => server[k] ?? (submitted || touched.has(k) ? local[k] : undefined);

  const update = <K extends keyof BotForm>(k: K, v: BotForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setServer((s) => ({ ...s, [k]: undefined }));
  };
  const blur = (k: string) => () => setTouched((t) => new Set(t).add(k));

  const text = (k: TextKey, label: string, help: ReactNode, opts: { inputMode?: 'decimal' | 'numeric'; placeholder?: string; disabled?: boolean } = {}) => (
    <Field label={label} error={show(k)} help={help}>
      {(p) => (
        <input
          {...p}
          name={k}
          value={form[k]}
          inputMode={opts.inputMode}
          placeholder={opts.placeholder}
          disabled={opts.disabled}
          onChange={(e) => update(k, e.target.value)}
          onBlur={blur(k)}
        />
      )}
    </Field>
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    setMessage(null);
    setServer({});
    if (Object.keys(local).length > 0) {
      setMessage('Some fields need attention.');
      return;
    }
    setBusy(true);
    try {
      await onSubmit(bot ? toChanges(form, bot) : toPayload(form));
    } catch (err) {
      if (err instanceof ApiError) {
        const fields: FormErrors = {};
        for (const fe of err.errors) fields[formField(fe.field)] ??= fe.reason;
        setServer(fields);
        setMessage(err.errors.length ? 'The server refused some fields.' : err.message);
      } else setMessage('The server cannot be reached. Try again in a moment.');
    } finally {
      setBusy(false);
    }
  }

  const exchangeMode = form.mode === 'live' || form.mode === 'testnet';
  return (
    <form className="bot-form" onSubmit={submit} noValidate aria-label={submitLabel}>
      {message && <Alert>{message}</Alert>}
      {locked && (
        <Alert tone="info">
          Symbol, mode and API key cannot change now: {locked}.
        </Alert>
      )}
      <fieldset>
        <legend>Market</legend>
        <div className="form-grid">
          {text('name', 'Name', 'Shown on the dashboard; up to 100 characters.')}
          {text('symbol', 'Symbol', locked ? `Locked: ${locked}.` : 'A spot market as BASE/QUOTE, e.g. BTC/USDT.', { disabled: Boolean(locked) })}
          <Field label="Timeframe" error={show('timeframe')} help="Candle length; decisions are taken on closed candles.">
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
            error={show('mode')}
            help={locked ? `Locked: ${locked}.` : 'demo: simulated market and money; paper: real prices, simulated fills; testnet and live need an API key.'}
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
            error={show('api_key_id')}
            help={locked ? `Locked: ${locked}.` : exchangeMode ? 'The Binance key this bot trades with (needed to start it).' : 'Only live and testnet bots use a key.'}
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
          {text('check_interval_seconds', 'Check interval (s)', 'How often the bot checks the price: 10 to 86400 seconds.', { inputMode: 'numeric' })}
        </div>
      </fieldset>
      <fieldset>
        <legend>Position size</legend>
        <div className="radio-row" role="radiogroup" aria-label="Position size kind">
          <label>
            <input type="radio" name="size_kind" checked={form.size_kind === 'perc'} onChange={() => update('size_kind', 'perc')} /> Percentage of the free balance
          </label>
          <label>
            <input type="radio" name="size_kind" checked={form.size_kind === 'fixed'} onChange={() => update('size_kind', 'fixed')} /> Fixed amount of the quote asset
          </label>
        </div>
        <div className="form-grid">
          {text(
            'position_size',
            form.size_kind === 'perc' ? 'Position size (%)' : 'Position size (quote)',
            form.size_kind === 'perc' ? 'Per trade, over 0 and up to 100, up to 4 decimals; fees included.' : 'Per trade, in the quote asset (USDT for BTC/USDT).',
            { inputMode: 'decimal' },
          )}
          {text('initial_capital', 'Initial capital', 'Optional. Simulated starting balance of paper and demo bots, and the base of the daily limits.', {
            inputMode: 'decimal',
            placeholder: 'default',
          })}
        </div>
      </fieldset>
      <fieldset>
        <legend>Exits</legend>
        <div className="form-grid">
          {text('stop_loss_perc', 'Stop-loss (%)', 'Exit when the price falls this far below the entry. Over 0, up to 100.', { inputMode: 'decimal' })}
          {text('take_profit_perc', 'Take-profit (%)', 'Exit when the price rises this far above the entry. Over 0, up to 100.', { inputMode: 'decimal' })}
          {text('trailing_stop_perc', 'Trailing stop (%)', 'Optional. Distance below the highest price since the entry.', { inputMode: 'decimal', placeholder: 'off' })}
          <div className="field field--check">
            <label>
              <input
                type="checkbox"
                name="trailing_stop_active"
                checked={form.trailing_stop_active}
                onChange={(e) => update('trailing_stop_active', e.target.checked)}
              />{' '}
              Trailing stop on
            </label>
            <p className="field__help">Needs a trailing stop percentage.</p>
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>Signals</legend>
        <div className="form-grid">
          {text('ema_fast', 'EMA fast', 'Periods, 2 to 500; less than EMA slow.', { inputMode: 'numeric' })}
          {text('ema_slow', 'EMA slow', 'Periods, 2 to 500. A golden cross of the two enters.', { inputMode: 'numeric' })}
          {text('rsi_period', 'RSI period', 'Periods, 2 to 500.', { inputMode: 'numeric' })}
          {text('rsi_oversold', 'RSI oversold', '1 to 99; less than overbought. A rebound above it enters in an uptrend.', { inputMode: 'numeric' })}
          {text('rsi_overbought', 'RSI overbought', '1 to 99. Above it no entry, and an open position exits.', { inputMode: 'numeric' })}
        </div>
      </fieldset>
      <fieldset>
        <legend>Daily limits</legend>
        <div className="form-grid">
          {text('daily_target_perc', 'Daily target (%)', 'Optional. Stop for the day once the P&L reaches it.', { inputMode: 'decimal', placeholder: 'none' })}
          {text('max_daily_loss_perc', 'Max daily loss (%)', 'Optional. Close and stop once the day loses this much.', { inputMode: 'decimal', placeholder: 'none' })}
          {text('max_daily_trades', 'Max daily trades', 'Optional, 1 to 10000; a round trip counts as two.', { inputMode: 'numeric', placeholder: 'no limit' })}
        </div>
      </fieldset>
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
