import { type FormEvent, useState } from 'react';
import type { BacktestDetail } from '../api/client';
import { Field } from '../components/Field';
import { Alert, Button } from '../components/ui';
import { BacktestReport } from '../features/backtests/BacktestReport';
import { ACTIVE, useBacktest, useBacktests, useCreateBacktest, useDeleteBacktest } from '../features/backtests/queries';
import { StrategyFieldsets, TextField, useFormKit } from '../features/bots/BotFormView';
import { useBots } from '../features/bots/queries';
import {
  BACKTEST_DEFAULTS,
  type BacktestForm,
  EARLIEST_DAY,
  TIMEFRAMES,
  backtestBody,
  sameStrategy,
  strategyFromBot,
  validateBacktest,
} from '../features/bots/validation';
import { dateTime } from '../lib/format';

function Progress({ bt }: { bt: BacktestDetail }) {
  const value = Math.round(Math.max(0, Math.min(100, bt.progress)));
  return (
    <div className="progress-row">
      <label htmlFor={`bt-progress-${bt.id}`}>
        Backtest #{bt.id}: {bt.status === 'queued' ? 'waiting for a worker' : 'running'} ({value} %)
      </label>
      <progress id={`bt-progress-${bt.id}`} max={100} value={value} data-testid="backtest-progress" />
    </div>
  );
}

function History({ onOpen }: { onOpen: (id: number) => void }) {
  const history = useBacktests();
  const remove = useDeleteBacktest();
  return (
    <section className="card" aria-labelledby="bt-history-title">
      <h2 id="bt-history-title" className="card__title">
        Your backtests
      </h2>
      {remove.error && <Alert>{remove.error.message}</Alert>}
      {history.isError ? (
        <p className="muted">Your backtests could not be loaded: {history.error.message}</p>
      ) : !history.data?.items.length ? (
        <p className="muted">None yet.</p>
      ) : (
        <ul className="history" data-testid="backtest-history">
          {history.data.items.map((h) => {
            const active = ACTIVE.includes(h.status);
            return (
              <li key={h.id} data-testid={`backtest-${h.id}`}>
                <button type="button" className="linkish" onClick={() => onOpen(h.id)}>
                  #{h.id} {String(h.params.symbol)} {String(h.params.timeframe)}, {String(h.params.bars)} candles
                </button>{' '}
                <span className="muted">
                  {h.status}
                  {active ? ` ${h.progress} %` : ''}, {dateTime(h.created_at)}
                </span>{' '}
                <Button
                  variant="secondary"
                  busy={remove.isPending && remove.variables === h.id}
                  onClick={() => remove.mutate(h.id)}
                  aria-label={`${active ? 'Cancel' : 'Delete'} backtest #${h.id}`}
                >
                  {active ? 'Cancel' : 'Delete'}
                </Button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** Form fields the server may name that are on screen now (the span shows bars or dates). */
const shownFor = (span: BacktestForm['span']) => (field: string) =>
  field in BACKTEST_DEFAULTS && field !== 'span' && (span === 'bars' ? field !== 'from' && field !== 'to' : field !== 'bars');

export function BacktestPage() {
  const bots = useBots();
  const [current, setCurrent] = useState<number | null>(null);
  const job = useBacktest(current);
  const create = useCreateBacktest(setCurrent);
  const botOf = (f: BacktestForm) => bots.data?.find((b) => String(b.id) === f.bot_id);
  // A picked bot's settings left as they are go by its id: only then is the strategy not sent.
  const usesBot = (f: BacktestForm) => {
    const bot = botOf(f);
    return bot !== undefined && sameStrategy(f, bot);
  };
  const { kit, patch, submit, message, busy } = useFormKit<BacktestForm>(BACKTEST_DEFAULTS, (f) => validateBacktest(f, usesBot(f)));
  const { form, update } = kit;

  const pickBot = (id: string) => {
    const bot = bots.data?.find((b) => String(b.id) === id);
    patch({ bot_id: id, ...(bot ? { symbol: bot.symbol, timeframe: bot.timeframe, ...strategyFromBot(bot) } : {}) });
  };
  const send = (e: FormEvent) => {
    e.preventDefault();
    void submit(() => create.mutateAsync(backtestBody(form, botOf(form))), shownFor(form.span));
  };

  const picked = botOf(form);
  const bt = job.data;
  return (
    <>
      <h1>Backtest</h1>
      <section className="card" aria-labelledby="bt-form-title">
        <h2 id="bt-form-title" className="card__title">
          Run a backtest
        </h2>
        <p className="muted">It runs on the workers with the bots' own strategy code; its progress and report appear below.</p>
        {message && <Alert>{message}</Alert>}
        <form onSubmit={send} noValidate aria-label="Run a backtest">
          <div className="form-grid">
            <Field
              label="Settings from"
              error={kit.error('bot_id')}
              help={
                picked
                  ? usesBot(form)
                    ? `${picked.name}'s settings: the server reads them from the bot.`
                    : `${picked.name}'s settings, edited: the ones below are sent.`
                  : "Start from one of your bots' settings, or your own below."
              }
            >
              {(p) => (
                <select {...p} value={form.bot_id} onChange={(e) => pickBot(e.target.value)}>
                  <option value="">Custom settings</option>
                  {bots.data?.map((b) => (
                    <option key={b.id} value={String(b.id)}>
                      {b.name} ({b.symbol} {b.timeframe})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <TextField kit={kit} name="symbol" label="Symbol" help="A spot market as BASE/QUOTE, e.g. BTC/USDT." />
            <Field label="Timeframe" error={kit.error('timeframe')} help="Candle length of the test.">
              {(p) => (
                <select {...p} value={form.timeframe} onChange={(e) => update('timeframe', e.target.value)}>
                  {TIMEFRAMES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Market data" error={kit.error('source')} help="The demo market works offline; Binance needs the internet.">
              {(p) => (
                <select {...p} value={form.source} onChange={(e) => update('source', e.target.value as BacktestForm['source'])}>
                  <option value="demo">demo market</option>
                  <option value="binance">Binance</option>
                </select>
              )}
            </Field>
            <Field label="Span">
              {(p) => (
                <select {...p} value={form.span} onChange={(e) => update('span', e.target.value as BacktestForm['span'])}>
                  <option value="bars">the last N candles</option>
                  <option value="range">a date range</option>
                </select>
              )}
            </Field>
            {form.span === 'bars' ? (
              <TextField
                kit={kit}
                name="bars"
                label="Candles"
                help="How many, ending with the latest closed one: at least 2, at most the server's BACKTEST_MAX_BARS (50,000 unless set otherwise)."
                inputMode="numeric"
              />
            ) : (
              <>
                <Field label="From" error={kit.error('from')} help={`The first day (UTC), ${EARLIEST_DAY} or later; at most BACKTEST_MAX_BARS candles to the end.`}>
                  {(p) => <input {...p} type="date" min={EARLIEST_DAY} value={form.from} onChange={(e) => update('from', e.target.value)} onBlur={kit.blur('from')} />}
                </Field>
                <Field label="To" error={kit.error('to')} help="The day it ends before (UTC); empty: up to now.">
                  {(p) => <input {...p} type="date" min={EARLIEST_DAY} value={form.to} onChange={(e) => update('to', e.target.value)} onBlur={kit.blur('to')} />}
                </Field>
              </>
            )}
          </div>
          <StrategyFieldsets kit={kit} of="backtest" />
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={busy}>
              Run backtest
            </Button>
          </div>
        </form>
      </section>
      {job.isError && <Alert>The backtest could not be loaded: {job.error.message}</Alert>}
      {bt && ACTIVE.includes(bt.status) && <Progress bt={bt} />}
      {bt?.status === 'failed' && <Alert>Backtest #{bt.id} failed: {bt.error ?? 'no reason given'}</Alert>}
      {bt?.status === 'cancelled' && <Alert tone="info">Backtest #{bt.id} was cancelled.</Alert>}
      {bt?.status === 'done' && <BacktestReport bt={bt} />}
      <History onOpen={setCurrent} />
    </>
  );
}
