// The bot form's rules: the same as the API's (src/tradebot/bots/schemas.py, bots/rules.py),
// so a form that passes here is accepted there, and each message names what to change.
import type { Bot, BotCreate, BotUpdate } from '../../api/client';

export const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'] as const;
export const MODES = ['demo', 'paper', 'testnet', 'live'] as const;
export const SYMBOL_RE = /^[A-Z0-9]{2,15}\/[A-Z0-9]{2,15}$/;
/** Fields that cannot change while the bot holds a position or an unresolved order. */
export const POSITION_BOUND = ['symbol', 'mode', 'api_key_id'] as const;

export interface BotForm {
  name: string;
  symbol: string;
  timeframe: string;
  mode: string;
  api_key_id: string; // '' = none
  initial_capital: string;
  daily_target_perc: string;
  max_daily_loss_perc: string;
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
  check_interval_seconds: string;
}

export type FormErrors = Partial<Record<keyof BotForm | 'position_size_perc' | 'position_size_fixed', string>>;

export const DEFAULTS: BotForm = {
  name: '',
  symbol: 'BTC/USDT',
  timeframe: '1m',
  mode: 'demo',
  api_key_id: '',
  initial_capital: '',
  daily_target_perc: '',
  max_daily_loss_perc: '',
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
  check_interval_seconds: '60',
};

const s = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

export function formFromBot(bot: Bot): BotForm {
  const fixed = bot.position_size_fixed !== null;
  return {
    name: bot.name,
    symbol: bot.symbol,
    timeframe: bot.timeframe,
    mode: bot.mode,
    api_key_id: s(bot.api_key_id),
    initial_capital: s(bot.initial_capital),
    daily_target_perc: s(bot.daily_target_perc),
    max_daily_loss_perc: s(bot.max_daily_loss_perc),
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
    check_interval_seconds: s(bot.check_interval_seconds),
  };
}

const DECIMAL_RE = /^\d+(\.\d+)?$/;

function decimalProblem(text: string, opts: { maxPlaces: number; maxDigits: number; max?: number }): string | null {
  if (!DECIMAL_RE.test(text)) return 'must be a number, like 2.5';
  const [whole = '', frac = ''] = text.split('.');
  if (frac.length > opts.maxPlaces) return `at most ${opts.maxPlaces} decimal places`;
  if (whole.replace(/^0+/, '').length + frac.length > opts.maxDigits) return `at most ${opts.maxDigits} digits`;
  const n = Number(text);
  if (!(n > 0)) return 'must be greater than 0';
  if (opts.max !== undefined && n > opts.max) return `must be at most ${opts.max}`;
  return null;
}

const percentProblem = (t: string) => decimalProblem(t, { maxPlaces: 4, maxDigits: 9, max: 100 });
const amountProblem = (t: string) => decimalProblem(t, { maxPlaces: 18, maxDigits: 38 });

function intProblem(text: string, min: number, max: number): string | null {
  if (!/^-?\d+$/.test(text)) return 'must be a whole number';
  const n = Number(text);
  if (n < min) return `must be at least ${min}`;
  if (n > max) return `must be at most ${max}`;
  return null;
}

/** Every problem of the form, by field; empty when the API would accept it. */
export function validate(f: BotForm): FormErrors {
  const e: FormErrors = {};
  const set = (k: keyof FormErrors, msg: string | null) => {
    if (msg && !e[k]) e[k] = msg;
  };
  const name = f.name.trim();
  if (!name) set('name', 'required');
  else if (name.length > 100) set('name', 'at most 100 characters');
  if (!SYMBOL_RE.test(f.symbol.trim().toUpperCase())) set('symbol', 'must look like BASE/QUOTE, e.g. BTC/USDT');
  if (!(TIMEFRAMES as readonly string[]).includes(f.timeframe)) set('timeframe', 'choose a timeframe');
  if (!(MODES as readonly string[]).includes(f.mode)) set('mode', 'choose a mode');
  if (f.api_key_id && f.mode !== 'live' && f.mode !== 'testnet') {
    set('api_key_id', 'only live and testnet bots trade with an API key');
  }
  for (const k of ['daily_target_perc', 'max_daily_loss_perc', 'trailing_stop_perc'] as const) {
    if (f[k].trim()) set(k, percentProblem(f[k].trim()));
  }
  for (const k of ['stop_loss_perc', 'take_profit_perc'] as const) {
    set(k, f[k].trim() ? percentProblem(f[k].trim()) : 'required');
  }
  if (f.initial_capital.trim()) set('initial_capital', amountProblem(f.initial_capital.trim()));
  const size = f.position_size.trim();
  if (!size) set('position_size', 'set a position size (a percentage or a fixed amount)');
  else set('position_size', f.size_kind === 'perc' ? percentProblem(size) : amountProblem(size));
  for (const k of ['ema_fast', 'ema_slow', 'rsi_period'] as const) set(k, intProblem(f[k].trim(), 2, 500));
  for (const k of ['rsi_oversold', 'rsi_overbought'] as const) set(k, intProblem(f[k].trim(), 1, 99));
  if (f.max_daily_trades.trim()) set('max_daily_trades', intProblem(f.max_daily_trades.trim(), 1, 10_000));
  set('check_interval_seconds', intProblem(f.check_interval_seconds.trim(), 10, 86_400));
  if (!e.ema_fast && !e.ema_slow && Number(f.ema_fast) >= Number(f.ema_slow)) {
    set('ema_fast', `must be less than ema_slow (${f.ema_slow.trim()})`);
  }
  if (!e.rsi_oversold && !e.rsi_overbought && Number(f.rsi_oversold) >= Number(f.rsi_overbought)) {
    set('rsi_oversold', `must be less than rsi_overbought (${f.rsi_overbought.trim()})`);
  }
  if (f.trailing_stop_active && !f.trailing_stop_perc.trim()) {
    set('trailing_stop_perc', 'required when the trailing stop is on');
  }
  return e;
}

const opt = (t: string) => (t.trim() ? t.trim() : null);

/** The API body of a valid form. */
export function toPayload(f: BotForm): BotCreate {
  const size = f.position_size.trim();
  return {
    name: f.name.trim(),
    symbol: f.symbol.trim().toUpperCase(),
    timeframe: f.timeframe as BotCreate['timeframe'],
    mode: f.mode as BotCreate['mode'],
    api_key_id: f.api_key_id ? Number(f.api_key_id) : null,
    initial_capital: opt(f.initial_capital),
    daily_target_perc: opt(f.daily_target_perc),
    max_daily_loss_perc: opt(f.max_daily_loss_perc),
    position_size_perc: f.size_kind === 'perc' ? size : null,
    position_size_fixed: f.size_kind === 'fixed' ? size : null,
    stop_loss_perc: f.stop_loss_perc.trim(),
    take_profit_perc: f.take_profit_perc.trim(),
    trailing_stop_perc: opt(f.trailing_stop_perc),
    trailing_stop_active: f.trailing_stop_active,
    ema_fast: Number(f.ema_fast),
    ema_slow: Number(f.ema_slow),
    rsi_period: Number(f.rsi_period),
    rsi_oversold: Number(f.rsi_oversold),
    rsi_overbought: Number(f.rsi_overbought),
    max_daily_trades: f.max_daily_trades.trim() ? Number(f.max_daily_trades) : null,
    check_interval_seconds: Number(f.check_interval_seconds),
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

/** Server field names mapped onto the form's (position size has one input). */
export function formField(field: string): keyof BotForm {
  if (field === 'position_size_perc' || field === 'position_size_fixed') return 'position_size';
  return field as keyof BotForm;
}
