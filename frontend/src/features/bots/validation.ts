// The input rules of the bot and backtest forms: the API's (src/tradebot/bots/schemas.py,
// bots/rules.py, backtests/schemas.py and service.py, schemas.py), read the way pydantic reads
// them, so a form that passes here is accepted there, one that fails is refused there too,
// and each message names the limit to keep to.
import type { BacktestCreate, Bot, BotCreate, BotUpdate } from '../../api/client';

export const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'] as const;
export const MODES = ['demo', 'paper', 'testnet', 'live'] as const;
export const SYMBOL_RE = /^[A-Z0-9]{2,15}\/[A-Z0-9]{2,15}$/;
const INT32_MAX = 2 ** 31 - 1;
const NAME_MAX = 100;
/** The API's ceiling on `bars`; the server's BACKTEST_MAX_BARS (50,000 by default) is lower. */
export const BARS_MAX = 10_000_000;
/** No backtest starts earlier (`backtests.service.EARLIEST`). */
export const EARLIEST_DAY = '2010-01-01';

// ---- Text as the API reads it -------------------------------------------------------------

/** One outcome of reading a field: its value as sent to the API, or why it is refused. */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };
const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const refused = (error: string): Read<never> => ({ ok: false, error });

// Unicode White_Space, what pydantic strips from strings and integers (Rust's `str::trim`);
// Python's `str.strip()` and `Decimal()` strip U+001C..U+001F as well. JavaScript's `trim()`
// is neither (it strips U+FEFF and keeps U+0085), so it is not used on anything sent.
const WHITE_SPACE = '\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE = `${WHITE_SPACE}\\u001c-\\u001f`;
const edges = (set: string) => new RegExp(`^[${set}]+|[${set}]+$`, 'g');
const WHITE_SPACE_EDGES = edges(WHITE_SPACE);
const PY_SPACE_EDGES = edges(PY_SPACE);

/** `text` as pydantic's `str_strip_whitespace` leaves it. */
export const stripText = (text: string) => text.replace(WHITE_SPACE_EDGES, '');
const stripPython = (text: string) => text.replace(PY_SPACE_EDGES, '');

/** Why the API cannot store `text` (`schemas.unsafe_text_reason`), or null. A lone surrogate
 * is matched alone: with the `u` flag a proper pair reads as one code point. */
export function unsafeTextReason(text: string): string | null {
  if (text.includes('\0')) return 'must not contain NUL characters';
  if (/[\uD800-\uDFFF]/u.test(text)) return 'must be valid Unicode text (no lone surrogates)';
  return null;
}

/** Length as Python counts it: code points, not UTF-16 units (an emoji is one). */
export const codePoints = (text: string) => [...text].length;

// ---- Numbers as the API reads them --------------------------------------------------------

const ND = /^\p{Nd}$/u;
/** The ASCII digit of any Unicode decimal digit (Python's `Decimal` takes "١٢" as 12). Digits
 * come in runs of ten from 0, so the value is the distance from the run's start. */
function asciiDigit(ch: string): string {
  const cp = ch.codePointAt(0)!;
  let start = cp;
  while (ND.test(String.fromCodePoint(start - 1))) start--;
  return String((cp - start) % 10);
}

const DECIMAL_SYNTAX = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const NOT_FINITE = /^[+-]?(?:inf(?:inity)?|s?nan\d*)$/i;

/** A decimal field's constraints: `Field(gt=0, max_digits, decimal_places, le|lt)`. */
interface DecimalRule {
  maxDigits: number;
  places: number;
  le?: number;
  lt?: number;
}
const PERCENT: DecimalRule = { maxDigits: 9, places: 4, le: 100 }; // schemas.Percent
const STOP_PERCENT: DecimalRule = { maxDigits: 9, places: 4, lt: 100 }; // bots.schemas.StopPercent
const AMOUNT: DecimalRule = { maxDigits: 38, places: 18 }; // schemas.Amount

/** Read `text` as Python's `Decimal(str)` does, then check it as pydantic does (digits counted
 * after `normalize()`, so trailing zeros are free), in pydantic's order. The value sent is
 * the plain, normalized number: "5." and "5.000" and "5e0" all go as "5". */
export function readDecimal(text: string, rule: DecimalRule): Read<string> {
  const ascii = stripPython(text).replace(/_/g, '').replace(/\p{Nd}/gu, asciiDigit);
  if (NOT_FINITE.test(ascii)) return refused('must be a finite number');
  const m = DECIMAL_SYNTAX.exec(ascii);
  if (!m) return refused('must be a number, like 2.5');
  const [, sign, whole = '', frac = '', onlyFrac, exp = '0'] = m;
  const fraction = onlyFrac ?? frac;
  // normalize(): no leading or trailing zeros in the coefficient; zero becomes plain "0".
  const significant = (whole + fraction).replace(/^0+/, '');
  const coefficient = significant.replace(/0+$/, '');
  const exponent = coefficient ? Number(exp) - fraction.length + significant.length - coefficient.length : 0;
  const places = exponent < 0 ? -exponent : 0;
  const digits = Math.max((coefficient.length || 1) + Math.max(exponent, 0), places);
  if (digits > rule.maxDigits) return refused(`at most ${rule.maxDigits} digits in total`);
  if (places > rule.places) return refused(`at most ${rule.places} decimal places`);
  const wholeMax = rule.maxDigits - rule.places;
  if (digits - places > wholeMax) return refused(`at most ${wholeMax} digits before the decimal point`);
  if (!coefficient || sign === '-') return refused('must be greater than 0');
  // Exact comparison: the value times 10^places against the limit times 10^places.
  const scaled = BigInt(coefficient) * 10n ** BigInt(Math.max(exponent, 0));
  const limit = (n: number) => BigInt(n) * 10n ** BigInt(places);
  if (rule.le !== undefined && scaled > limit(rule.le)) return refused(`must be at most ${rule.le}`);
  if (rule.lt !== undefined && scaled >= limit(rule.lt)) return refused(`must be less than ${rule.lt}`);
  return ok(plainText(coefficient, exponent));
}

/** `coefficient` × 10^`exponent` written out without an exponent: ("25", -1) -> "2.5". */
function plainText(coefficient: string, exponent: number): string {
  if (exponent >= 0) return coefficient + '0'.repeat(exponent);
  const digits = coefficient.padStart(1 - exponent, '0');
  return `${digits.slice(0, exponent)}.${digits.slice(exponent)}`;
}

/** Read `text` as pydantic reads an integer from a string (ASCII digits, `_` between digits,
 * a `.0` tail), within [min, max]. It is sent as a JSON number. */
export function readInt(text: string, min: number, max: number): Read<number> {
  const t = stripText(text);
  if (!/^[+-]?\d+(?:_\d+)*(?:\.0+)?$/.test(t)) return refused('must be a whole number');
  const n = Number(t.replace(/_/g, '').replace(/\.0+$/, ''));
  if (n < min) return refused(`must be at least ${min}`);
  if (n > max) return refused(`must be at most ${max}`);
  return ok(n);
}

/** A route's id (`/bots/:id`) as the API's `DbId` takes it, or null: only plain digits, so
 * "0", "abc", "1e3" and ids past PostgreSQL's integer never reach the API. */
export function idParam(text: string | undefined): number | null {
  if (!text || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= INT32_MAX ? n : null;
}

// ---- The forms ----------------------------------------------------------------------------

/** The settings a strategy trades by, shared by bots and backtests (`StrategyFields`). */
export interface StrategyForm {
  initial_capital: string;
  size_kind: 'perc' | 'fixed';
  position_size: string;
  stop_loss_perc: string;
  take_profit_perc: string;
  trailing_stop_perc: string;
  trailing_stop_active: boolean;
  ema_fast: string;
  ema_slow: string;
  rsi_period: string;
  rsi_oversold: string;
  rsi_overbought: string;
  max_daily_trades: string;
}

export interface BotForm extends StrategyForm {
  name: string;
  symbol: string;
  timeframe: string;
  mode: string;
  api_key_id: string; // '' = none
  daily_target_perc: string;
  max_daily_loss_perc: string;
  check_interval_seconds: string;
}

export interface BacktestForm extends StrategyForm {
  bot_id: string; // '' = custom settings
  symbol: string;
  timeframe: string;
  source: 'demo' | 'binance';
  span: 'bars' | 'range';
  bars: string;
  from: string; // YYYY-MM-DD
  to: string;
}

export type Errors<F> = Partial<Record<keyof F & string, string>>;
export type FormErrors = Errors<BotForm>;

export const STRATEGY_DEFAULTS: StrategyForm = {
  initial_capital: '',
  size_kind: 'perc',
  position_size: '10',
  stop_loss_perc: '2',
  take_profit_perc: '4',
  trailing_stop_perc: '',
  trailing_stop_active: false,
  ema_fast: '9',
  ema_slow: '21',
  rsi_period: '14',
  rsi_oversold: '30',
  rsi_overbought: '70',
  max_daily_trades: '',
};

export const DEFAULTS: BotForm = {
  ...STRATEGY_DEFAULTS,
  name: '',
  symbol: 'BTC/USDT',
  timeframe: '1m',
  mode: 'demo',
  api_key_id: '',
  daily_target_perc: '',
  max_daily_loss_perc: '',
  check_interval_seconds: '60',
};

export const BACKTEST_DEFAULTS: BacktestForm = {
  ...STRATEGY_DEFAULTS,
  bot_id: '',
  symbol: 'BTC/USDT',
  timeframe: '1h',
  source: 'demo',
  span: 'bars',
  bars: '2000',
  from: '',
  to: '',
};

const s = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

export function strategyFromBot(bot: Bot): StrategyForm {
  const fixed = bot.position_size_fixed !== null;
  return {
    initial_capital: s(bot.initial_capital),
    size_kind: fixed ? 'fixed' : 'perc',
    position_size: s(fixed ? bot.position_size_fixed : bot.position_size_perc),
    stop_loss_perc: s(bot.stop_loss_perc),
    take_profit_perc: s(bot.take_profit_perc),
    trailing_stop_perc: s(bot.trailing_stop_perc),
    trailing_stop_active: bot.trailing_stop_active,
    ema_fast: s(bot.ema_fast),
    ema_slow: s(bot.ema_slow),
    rsi_period: s(bot.rsi_period),
    rsi_oversold: s(bot.rsi_oversold),
    rsi_overbought: s(bot.rsi_overbought),
    max_daily_trades: s(bot.max_daily_trades),
  };
}

export function formFromBot(bot: Bot): BotForm {
  return {
    ...strategyFromBot(bot),
    name: bot.name,
    symbol: bot.symbol,
    timeframe: bot.timeframe,
    mode: bot.mode,
    api_key_id: s(bot.api_key_id),
    daily_target_perc: s(bot.daily_target_perc),
    max_daily_loss_perc: s(bot.max_daily_loss_perc),
    check_interval_seconds: s(bot.check_interval_seconds),
  };
}

// ---- Rules --------------------------------------------------------------------------------

/** Collects the first problem of each field. */
function collector<F>() {
  const errors: Errors<F> = {};
  const set = (k: keyof F & string, problem: string | null | undefined) => {
    if (problem && !errors[k]) errors[k] = problem;
  };
  const read = <T>(k: keyof F & string, r: Read<T>) => set(k, r.ok ? null : r.error);
  return { errors, set, read };
}

const optional = <T>(text: string, read: (t: string) => Read<T>): Read<T | null> => (stripText(text) ? read(text) : ok(null));
const required = <T>(text: string, read: (t: string) => Read<T>): Read<T> => (stripText(text) ? read(text) : refused('required'));
const percent = (t: string) => readDecimal(t, PERCENT);
const stopPercent = (t: string) => readDecimal(t, STOP_PERCENT);
const amount = (t: string) => readDecimal(t, AMOUNT);
const period = (t: string) => readInt(t, 2, 500);
const rsiLevel = (t: string) => readInt(t, 1, 99);
const dailyTrades = (t: string) => readInt(t, 1, 10_000);

function readSymbol(text: string): Read<string> {
  const sym = stripPython(text).toUpperCase();
  return SYMBOL_RE.test(sym) ? ok(sym) : refused('must look like BASE/QUOTE, e.g. BTC/USDT');
}

function readName(text: string): Read<string> {
  const name = stripText(text);
  if (/[\uD800-\uDFFF]/u.test(name)) return refused(unsafeTextReason(name)!);
  if (!name) return refused('required');
  if (codePoints(name) > NAME_MAX) return refused(`at most ${NAME_MAX} characters`);
  const unsafe = unsafeTextReason(name);
  return unsafe ? refused(unsafe) : ok(name);
}

/** Every problem of the strategy settings (`StrategyFields` and `rules.check`), by field. */
export function validateStrategy(f: StrategyForm): Errors<StrategyForm> {
  const { errors, set, read } = collector<StrategyForm>();
  read('initial_capital', optional(f.initial_capital, amount));
  if (!stripText(f.position_size)) set('position_size', 'set a position size (a percentage or a fixed amount)');
  else read('position_size', f.size_kind === 'perc' ? percent(f.position_size) : amount(f.position_size));
  read('stop_loss_perc', required(f.stop_loss_perc, stopPercent));
  read('take_profit_perc', required(f.take_profit_perc, percent));
  read('trailing_stop_perc', optional(f.trailing_stop_perc, stopPercent));
  const ints = { ema_fast: period, ema_slow: period, rsi_period: period, rsi_oversold: rsiLevel, rsi_overbought: rsiLevel };
  const values: Partial<Record<keyof typeof ints, number>> = {};
  for (const [k, readOne] of Object.entries(ints) as [keyof typeof ints, (t: string) => Read<number>][]) {
    const r = readOne(f[k]);
    read(k, r);
    if (r.ok) values[k] = r.value;
  }
  read('max_daily_trades', optional(f.max_daily_trades, dailyTrades));
  const { ema_fast, ema_slow, rsi_oversold, rsi_overbought } = values;
  if (ema_fast !== undefined && ema_slow !== undefined && ema_fast >= ema_slow) set('ema_fast', `must be less than ema_slow (${ema_slow})`);
  if (rsi_oversold !== undefined && rsi_overbought !== undefined && rsi_oversold >= rsi_overbought) {
    set('rsi_oversold', `must be less than rsi_overbought (${rsi_overbought})`);
  }
  if (f.trailing_stop_active && !stripText(f.trailing_stop_perc)) set('trailing_stop_perc', 'required when the trailing stop is on');
  return errors;
}

/** Every problem of a bot form, by field; empty when the API would accept it. */
export function validate(f: BotForm): FormErrors {
  const { errors, set, read } = collector<BotForm>();
  read('name', readName(f.name));
  read('symbol', readSymbol(f.symbol));
  if (!(TIMEFRAMES as readonly string[]).includes(f.timeframe)) set('timeframe', 'choose a timeframe');
  if (!(MODES as readonly string[]).includes(f.mode)) set('mode', 'choose a mode');
  if (f.api_key_id && f.mode !== 'live' && f.mode !== 'testnet') set('api_key_id', 'only live and testnet bots trade with an API key');
  read('daily_target_perc', optional(f.daily_target_perc, percent));
  read('max_daily_loss_perc', optional(f.max_daily_loss_perc, percent));
  read('check_interval_seconds', readInt(f.check_interval_seconds, 10, 86_400));
  return { ...validateStrategy(f), ...errors };
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS };
const timeframeMs = (tf: string) => Number(tf.slice(0, -1)) * (UNIT_MS[tf.slice(-1)] ?? NaN);
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** Every problem of a backtest form (`BacktestCreate` and the range rules of
 * `backtests.service`), by field. The strategy is checked only when it is sent, i.e. unless
 * `usesBot` (the server reads the bot's own settings then). The server alone knows its
 * BACKTEST_MAX_BARS and the latest closed candle; it names them when a request passes them. */
export function validateBacktest(f: BacktestForm, usesBot: boolean): Errors<BacktestForm> {
  const { errors, set, read } = collector<BacktestForm>();
  read('symbol', readSymbol(f.symbol));
  if (!(TIMEFRAMES as readonly string[]).includes(f.timeframe)) set('timeframe', 'choose a timeframe');
  if (f.span === 'bars') read('bars', readInt(f.bars, 2, BARS_MAX));
  else if (!f.from) set('from', 'pick the first day');
  else if (f.from < EARLIEST_DAY) set('from', `must not be before ${EARLIEST_DAY}`);
  else if (f.to && f.to < EARLIEST_DAY) set('to', `must not be before ${EARLIEST_DAY}`);
  else if (f.to) {
    const step = timeframeMs(f.timeframe);
    const start = dayMs(f.from) + (-dayMs(f.from) % step + step) % step;
    const end = dayMs(f.to) - (dayMs(f.to) % step);
    if (start >= end) set('from', 'must be before to');
    else if ((end - start) / step < 2) set('from', 'the range holds fewer than 2 candles');
  }
  return usesBot ? errors : { ...validateStrategy(f), ...errors };
}

// ---- Request bodies -------------------------------------------------------------------------

/** The value of a field that passed its rule (a bot's stored value always does). */
function value<T>(r: Read<T>, fallback: T): T {
  return r.ok ? r.value : fallback;
}
const decimal = (text: string, read: (t: string) => Read<string>) => (stripText(text) ? value(read(text), stripText(text)) : null);
const int = (text: string, read: (t: string) => Read<number>) => (stripText(text) ? value(read(text), Number(text)) : null);

type StrategyBody = Pick<
  BotCreate,
  | 'initial_capital'
  | 'position_size_perc'
  | 'position_size_fixed'
  | 'stop_loss_perc'
  | 'take_profit_perc'
  | 'trailing_stop_perc'
  | 'trailing_stop_active'
  | 'ema_fast'
  | 'ema_slow'
  | 'rsi_period'
  | 'rsi_oversold'
  | 'rsi_overbought'
  | 'max_daily_trades'
>;

/** The strategy fields of a valid form, as the API takes them. */
export function strategyPayload(f: StrategyForm): StrategyBody {
  const size = f.size_kind === 'perc' ? decimal(f.position_size, percent) : decimal(f.position_size, amount);
  return {
    initial_capital: decimal(f.initial_capital, amount),
    position_size_perc: f.size_kind === 'perc' ? size : null,
    position_size_fixed: f.size_kind === 'fixed' ? size : null,
    stop_loss_perc: decimal(f.stop_loss_perc, stopPercent) ?? '',
    take_profit_perc: decimal(f.take_profit_perc, percent) ?? '',
    trailing_stop_perc: decimal(f.trailing_stop_perc, stopPercent),
    trailing_stop_active: f.trailing_stop_active,
    ema_fast: int(f.ema_fast, period) ?? NaN,
    ema_slow: int(f.ema_slow, period) ?? NaN,
    rsi_period: int(f.rsi_period, period) ?? NaN,
    rsi_oversold: int(f.rsi_oversold, rsiLevel) ?? NaN,
    rsi_overbought: int(f.rsi_overbought, rsiLevel) ?? NaN,
    max_daily_trades: int(f.max_daily_trades, dailyTrades),
  };
}

/** The API body of a valid bot form. */
export function toPayload(f: BotForm): BotCreate {
  return {
    name: value(readName(f.name), stripText(f.name)),
    symbol: value(readSymbol(f.symbol), stripText(f.symbol)),
    timeframe: f.timeframe as BotCreate['timeframe'],
    mode: f.mode as BotCreate['mode'],
    api_key_id: f.api_key_id ? Number(f.api_key_id) : null,
    daily_target_perc: decimal(f.daily_target_perc, percent),
    max_daily_loss_perc: decimal(f.max_daily_loss_perc, percent),
    ...strategyPayload(f),
    check_interval_seconds: int(f.check_interval_seconds, (t) => readInt(t, 10, 86_400)) ?? NaN,
  };
}

/** Only what changed against `bot`, for a PATCH (unchanged position-bound fields left out). */
export function toChanges(f: BotForm, bot: Bot): BotUpdate {
  const next = toPayload(f) as Record<string, unknown>;
  const before = toPayload(formFromBot(bot)) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) if (v !== before[k]) out[k] = v;
  return out as BotUpdate;
}

/** Whether the form still holds `bot`'s strategy, as the API would read both. */
export const sameStrategy = (f: StrategyForm, bot: Bot) => JSON.stringify(strategyPayload(f)) === JSON.stringify(strategyPayload(strategyFromBot(bot)));

/** The API body of a valid backtest form. With `bot` picked and its settings left as they
 * are, the bot's id goes instead of the settings: the server reads them from the bot (it
 * refuses both at once). */
export function backtestBody(f: BacktestForm, bot: Bot | undefined): BacktestCreate {
  const span = f.span === 'bars' ? { bars: int(f.bars, (t) => readInt(t, 2, BARS_MAX)) } : { from: `${f.from}T00:00:00Z`, ...(f.to ? { to: `${f.to}T00:00:00Z` } : {}) };
  const settings = bot && sameStrategy(f, bot) ? { bot_id: bot.id } : strategyPayload(f);
  // The generated type lists the strategy fields with defaults as required; with bot_id they
  // must be left out.
  return { symbol: value(readSymbol(f.symbol), f.symbol), timeframe: f.timeframe, source: f.source, ...span, ...settings } as BacktestCreate;
}

// ---- Server answers ---------------------------------------------------------------------------

/** The form field a server error names (position size has one input for both). */
export function formField(field: string): string {
  return field === 'position_size_perc' || field === 'position_size_fixed' ? 'position_size' : field;
}

/** Why position-bound fields are locked now, or null when they can change. */
export function lockReason(
  state: { in_position: boolean; pending_order: { side: string | null } | null } | undefined,
): string | null {
  if (!state) return null;
  if (state.pending_order) {
    return `an order (${state.pending_order.side ?? '?'}) was sent and its outcome is not known yet; start the bot to resolve it`;
  }
  if (state.in_position) return 'the bot holds a position; close it first';
  return null;
}
