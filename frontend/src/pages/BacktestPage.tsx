import { type FormEvent, useState } from 'react';
import { ApiError, type BacktestCreate, type BacktestDetail, type Bot } from '../api/client';
import { Field } from '../components/Field';
import { Alert, Button } from '../components/ui';
import { BacktestReport } from '../features/backtests/BacktestReport';
import { ACTIVE, useBacktest, useBacktests, useCreateBacktest, useDeleteBacktest } from '../features/backtests/queries';
import { useBots } from '../features/bots/queries';
import { type BotForm, DEFAULTS, SYMBOL_RE, TIMEFRAMES, formFromBot, toPayload, validate } from '../features/bots/validation';
import { dateTime } from '../lib/format';

const STRATEGY_FIELDS = [
  ['ema_fast', 'EMA fast'],
  ['ema_slow', 'EMA slow'],
  ['rsi_period', 'RSI period'],
  ['rsi_oversold', 'RSI oversold'],
  ['rsi_overbought', 'RSI overbought'],
  ['stop_loss_perc', 'Stop-loss (%)'],
  ['take_profit_perc', 'Take-profit (%)'],
  ['trailing_stop_perc', 'Trailing stop (%)'],
  ['position_size', 'Position size (%)'],
] as const;

type Strategy = Omit<BacktestCreate, 'symbol' | 'timeframe' | 'source' | 'bars' | 'from' | 'to' | 'bot_id'>;

/** The strategy fields of a valid form, as the API takes them (those of a bot's settings). */
function strategyOf(form: BotForm): Strategy {
  const p = toPayload(form);
  return {
    initial_capital: p.initial_capital,
    position_size_perc: p.position_size_perc,
    position_size_fixed: p.position_size_fixed,
    stop_loss_perc: p.stop_loss_perc,
    take_profit_perc: p.take_profit_perc,
    trailing_stop_perc: p.trailing_stop_perc,
    trailing_stop_active: p.trailing_stop_active ?? false,
    ema_fast: p.ema_fast ?? 9,
    ema_slow: p.ema_slow ?? 21,
    rsi_period: p.rsi_period ?? 14,
    rsi_oversold: p.rsi_oversold ?? 30,
    rsi_overbought: p.rsi_overbought ?? 70,
    max_daily_trades: p.max_daily_trades,
  };
}

const sameStrategy = (form: BotForm, bot: Bot) => JSON.stringify(strategyOf(form)) === JSON.stringify(strategyOf(formFromBot(bot)));

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

export function BacktestPage() {
  const bots = useBots();
  const [symbol, setSymbol] = useState('BTC/USDT');
  const [timeframe, setTimeframe] = useState('1h');
  const [source, setSource] = useState<'demo' | 'binance'>('demo');
  const [span, setSpan] = useState<'bars' | 'range'>('bars');
  const [bars, setBars] = useState('2000');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [botId, setBotId] = useState('');
  const [strategy, setStrategy] = useState<BotForm>(DEFAULTS);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [current, setCurrent] = useState<number | null>(null);

  const job = useBacktest(current);
  const create = useCreateBacktest(setCurrent);

  const pickBot = (id: string) => {
    setBotId(id);
    const bot = bots.data?.find((b) => String(b.id) === id);
    if (bot) {
      setSymbol(bot.symbol);
      setTimeframe(bot.timeframe);
      setStrategy(formFromBot(bot));
    }
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setMessage(null);
    const sym = symbol.trim().toUpperCase();
    const local: Record<string, string> = {};
    if (!SYMBOL_RE.test(sym)) local.symbol = 'must look like BASE/QUOTE, e.g. BTC/USDT';
    if (span === 'bars' && !(/^\d+$/.test(bars) && Number(bars) >= 50)) local.bars = 'a whole number, at least 50';
    if (span === 'range' && (!start || (end && start >= end))) local.from = 'pick a start before the end';
    const strat = validate({ ...strategy, name: 'backtest', symbol: sym || 'BTC/USDT', timeframe });
    for (const [k] of STRATEGY_FIELDS) if (strat[k]) local[k] = strat[k]!;
    setErrors(local);
    if (Object.keys(local).length) return;
    // A bot's own settings go by its id (the API copies them); edited ones go as fields.
    const bot = bots.data?.find((b) => String(b.id) === botId);
    const body: BacktestCreate = {
      symbol: sym,
      timeframe: timeframe as BacktestCreate['timeframe'],
      source,
      ...(span === 'bars' ? { bars: Number(bars) } : { from: `${start}T00:00:00Z`, ...(end ? { to: `${end}T00:00:00Z` } : {}) }),
      ...(bot && sameStrategy(strategy, bot) ? { bot_id: bot.id } : strategyOf(strategy)),
    } as BacktestCreate;
    try {
      await create.mutateAsync(body);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setMessage(err.message + (err.retryAfter ? ` Try again in ${err.retryAfter} s.` : ''));
      } else setMessage('The server cannot be reached.');
    }
  }

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
        <form onSubmit={submit} noValidate aria-label="Run a backtest">
          <div className="form-grid">
            <Field label="Settings from" help="Start from one of your bots' settings, or your own below.">
              {(p) => (
                <select {...p} value={botId} onChange={(e) => pickBot(e.target.value)}>
                  <option value="">Custom settings</option>
                  {bots.data?.map((b) => (
                    <option key={b.id} value={String(b.id)}>
                      {b.name} ({b.symbol} {b.timeframe})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Symbol" error={errors.symbol}>
              {(p) => <input {...p} value={symbol} onChange={(e) => setSymbol(e.target.value)} />}
            </Field>
            <Field label="Timeframe" error={errors.timeframe}>
              {(p) => (
                <select {...p} value={timeframe} onChange={(e) => setTimeframe(e.target.value)}>
                  {TIMEFRAMES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Market data" help="The demo market works offline; Binance needs the internet.">
              {(p) => (
                <select {...p} value={source} onChange={(e) => setSource(e.target.value as 'demo' | 'binance')}>
                  <option value="demo">demo market</option>
                  <option value="binance">Binance</option>
                </select>
              )}
            </Field>
            <Field label="Span">
              {(p) => (
                <select {...p} value={span} onChange={(e) => setSpan(e.target.value as 'bars' | 'range')}>
                  <option value="bars">the last N candles</option>
                  <option value="range">a date range</option>
                </select>
              )}
            </Field>
            {span === 'bars' ? (
              <Field label="Candles" error={errors.bars} help="How many candles, ending with the latest closed one.">
                {(p) => <input {...p} inputMode="numeric" value={bars} onChange={(e) => setBars(e.target.value)} />}
              </Field>
            ) : (
              <>
                <Field label="From" error={errors.from}>
                  {(p) => <input {...p} type="date" value={start} onChange={(e) => setStart(e.target.value)} />}
                </Field>
                <Field label="To" error={errors.to} help="Empty: up to now.">
                  {(p) => <input {...p} type="date" value={end} onChange={(e) => setEnd(e.target.value)} />}
                </Field>
              </>
            )}
          </div>
          <fieldset>
            <legend>Strategy</legend>
            <div className="form-grid">
              {STRATEGY_FIELDS.map(([k, label]) => (
                <Field key={k} label={label} error={errors[k] ?? (k === 'position_size' ? errors.position_size_perc : undefined)}>
                  {(p) => (
                    <input
                      {...p}
                      name={k}
                      inputMode="decimal"
                      value={strategy[k]}
                      onChange={(e) => setStrategy((s) => ({ ...s, [k]: e.target.value, ...(k === 'position_size' ? { size_kind: 'perc' as const } : {}) }))}
                    />
                  )}
                </Field>
              ))}
            </div>
          </fieldset>
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={create.isPending}>
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
