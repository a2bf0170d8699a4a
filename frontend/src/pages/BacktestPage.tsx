import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { type Backtest, type BacktestParams, type ChartData, pending } from '../api/pending';
import { Field } from '../components/Field';
import { Alert, Button, Spinner, Stat } from '../components/ui';
import { useBots } from '../features/bots/queries';
import { type BotForm, DEFAULTS, SYMBOL_RE, TIMEFRAMES, formFromBot, toPayload, validate } from '../features/bots/validation';
import { dateTime, money, num, price, reasonText, signedMoney, tone } from '../lib/format';
import { keys } from '../lib/queryKeys';

const CandleChart = lazy(() => import('../features/charts/CandleChart'));
const LineChart = lazy(() => import('../features/charts/LineChart'));

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

const METRICS: [string, string, (v: unknown) => string][] = [
  ['total_return_perc', 'Return', (v) => pct(v)],
  ['buy_and_hold_return_perc', 'Buy and hold', (v) => pct(v)],
  ['trades', 'Trades', (v) => String(v ?? '—')],
  ['win_rate_perc', 'Win rate', (v) => pct(v)],
  ['max_drawdown_perc', 'Max drawdown', (v) => pct(v)],
  ['sharpe', 'Sharpe (daily)', (v) => fixed(v)],
  ['sortino', 'Sortino (daily)', (v) => fixed(v)],
  ['profit_factor', 'Profit factor', (v) => fixed(v)],
  ['expectancy', 'Expectancy', (v) => signedMoney(v as string)],
  ['cagr_perc', 'CAGR', (v) => pct(v)],
  ['fees', 'Fees', (v) => money(v as string)],
];
const pct = (v: unknown) => (num(v as string) === null ? '—' : `${num(v as string)!.toFixed(2)} %`);
const fixed = (v: unknown) => (num(v as string) === null ? '—' : num(v as string)!.toFixed(2));

function Report({ bt }: { bt: Backtest }) {
  const r = bt.result;
  const market = useQuery({
    queryKey: ['backtest-chart', bt.id],
    queryFn: (): Promise<ChartData> => pending.marketChart({ symbol: bt.params.symbol, timeframe: bt.params.timeframe, bars: bt.params.bars ?? 500 }),
    enabled: Boolean(r && !r.candles),
    retry: false,
  });
  const chart = useMemo<ChartData | undefined>(() => {
    if (!r) return undefined;
    if (r.candles) return { candles: r.candles, ema_fast: [], ema_slow: [], rsi: [], markers: r.markers ?? [], levels: null };
    return market.data && { ...market.data, markers: r.markers ?? market.data.markers };
  }, [r, market.data]);
  const equity = useMemo(
    () => (r?.equity ?? []).filter((p) => p.value !== null).map((p) => ({ time: p.time, value: Number(p.value) })),
    [r],
  );
  if (!r) return null;
  return (
    <section className="card" aria-labelledby="report-title" data-testid="backtest-report">
      <div className="page-head">
        <h2 id="report-title" className="card__title">
          Report: {bt.params.symbol} {bt.params.timeframe}
        </h2>
        <a className="btn btn--secondary" href={pending.tradesCsvUrl(bt.id)} download>
          Download trades.csv
        </a>
      </div>
      <dl className="stats stats--wide" data-testid="backtest-metrics">
        {METRICS.filter(([k]) => k in r.metrics).map(([k, label, f]) => (
          <Stat key={k} label={label} value={f(r.metrics[k])} tone={k.includes('return') || k === 'expectancy' ? tone(r.metrics[k] as string) : undefined} />
        ))}
      </dl>
      <Suspense fallback={<Spinner label="Loading the charts" />}>
        {chart && <CandleChart data={chart} label={`${bt.params.symbol} candles with the backtest's trades`} height={360} />}
        {equity.length > 0 && <LineChart points={equity} label="Equity curve" testId="equity-chart" />}
      </Suspense>
      <div className="table-wrap">
        <table className="table" data-testid="backtest-trades">
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Exit</th>
              <th scope="col" className="num">
                Entry price
              </th>
              <th scope="col" className="num">
                Exit price
              </th>
              <th scope="col" className="num">
                P&amp;L
              </th>
              <th scope="col">Exit reason</th>
            </tr>
          </thead>
          <tbody>
            {r.trades.map((t, i) => (
              <tr key={`${t.entry_time}-${i}`}>
                <td>{dateTime(new Date(t.entry_time * 1000).toISOString())}</td>
                <td>{dateTime(new Date(t.exit_time * 1000).toISOString())}</td>
                <td className="num">{price(t.entry_price)}</td>
                <td className="num">{price(t.exit_price)}</td>
                <td className={`num tone-${tone(t.pnl)}`}>{signedMoney(t.pnl)}</td>
                <td>{reasonText(t.exit_reason)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Progress({ bt }: { bt: Backtest }) {
  const value = Math.round(Math.max(0, Math.min(1, bt.progress)) * 100);
  return (
    <div className="progress-row">
      <label htmlFor={`bt-progress-${bt.id}`}>
        {bt.status === 'queued' ? 'Waiting for a worker' : 'Running'} ({value} %)
      </label>
      <progress id={`bt-progress-${bt.id}`} max={100} value={value} data-testid="backtest-progress" />
    </div>
  );
}

export function BacktestPage() {
  const client = useQueryClient();
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

  const history = useQuery({ queryKey: keys.backtests, queryFn: pending.listBacktests, retry: false });
  const job = useQuery({
    queryKey: keys.backtest(current ?? 0),
    queryFn: () => pending.getBacktest(current!),
    enabled: current !== null,
    // A job's progress is read until it ends; the bots' status stream is not for jobs.
    refetchInterval: (q) => (q.state.data && !['queued', 'running'].includes(q.state.data.status) ? false : 1000),
  });
  const create = useMutation({
    mutationFn: pending.createBacktest,
    onSuccess: (bt) => {
      client.setQueryData(keys.backtest(bt.id), bt);
      void client.invalidateQueries({ queryKey: keys.backtests, exact: true });
      setCurrent(bt.id);
    },
  });

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
    const local: Record<string, string> = {};
    if (!SYMBOL_RE.test(symbol.trim().toUpperCase())) local.symbol = 'must look like BASE/QUOTE, e.g. BTC/USDT';
    if (span === 'bars' && !(/^\d+$/.test(bars) && Number(bars) >= 50)) local.bars = 'a whole number, at least 50';
    if (span === 'range' && (!start || !end || start >= end)) local.range = 'pick a start before the end';
    const strat = validate({ ...strategy, name: 'backtest', symbol: symbol.trim().toUpperCase() || 'BTC/USDT', timeframe });
    for (const [k] of STRATEGY_FIELDS) if (strat[k]) local[k] = strat[k]!;
    setErrors(local);
    if (Object.keys(local).length) return;
    const { name: _n, api_key_id: _k, mode: _m, ...config } = toPayload({ ...strategy, symbol, timeframe });
    const params: BacktestParams = {
      symbol: symbol.trim().toUpperCase(),
      timeframe,
      source,
      bars: span === 'bars' ? Number(bars) : null,
      start: span === 'range' ? start : null,
      end: span === 'range' ? end : null,
      bot_id: botId ? Number(botId) : null,
      config,
    };
    try {
      await create.mutateAsync(params);
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
            <Field label="Timeframe">
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
              <Field label="Candles" error={errors.bars} help="How many candles, ending now.">
                {(p) => <input {...p} inputMode="numeric" value={bars} onChange={(e) => setBars(e.target.value)} />}
              </Field>
            ) : (
              <>
                <Field label="From" error={errors.range}>
                  {(p) => <input {...p} type="date" value={start} onChange={(e) => setStart(e.target.value)} />}
                </Field>
                <Field label="To">{(p) => <input {...p} type="date" value={end} onChange={(e) => setEnd(e.target.value)} />}</Field>
              </>
            )}
          </div>
          <fieldset>
            <legend>Strategy</legend>
            <div className="form-grid">
              {STRATEGY_FIELDS.map(([k, label]) => (
                <Field key={k} label={label} error={errors[k]}>
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
      {bt && (bt.status === 'queued' || bt.status === 'running') && <Progress bt={bt} />}
      {bt?.status === 'failed' && <Alert>The backtest failed: {bt.error ?? 'unknown error'}</Alert>}
      {bt?.status === 'done' && <Report bt={bt} />}
      <section className="card" aria-labelledby="bt-history-title">
        <h2 id="bt-history-title" className="card__title">
          Your backtests
        </h2>
        {history.isError ? (
          <p className="muted">Backtests are not available: {history.error.message}</p>
        ) : !history.data?.length ? (
          <p className="muted">None yet.</p>
        ) : (
          <ul className="history" data-testid="backtest-history">
            {history.data.map((h) => (
              <li key={h.id}>
                <button type="button" className="linkish" onClick={() => setCurrent(h.id)}>
                  #{h.id} {h.params.symbol} {h.params.timeframe}
                </button>{' '}
                <span className="muted">
                  {h.status}
                  {h.created_at ? `, ${dateTime(h.created_at)}` : ''}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
