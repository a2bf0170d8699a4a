import { describe, expect, it } from 'vitest';
import { makeBot } from '../../test/fixtures';
import {
  BACKTEST_DEFAULTS,
  type BacktestForm,
  type BotForm,
  DEFAULTS,
  backtestBody,
  formFromBot,
  idParam,
  lockReason,
  readDecimal,
  readInt,
  toChanges,
  toPayload,
  validate,
  validateBacktest,
} from './validation';

const form = (over: Partial<BotForm> = {}): BotForm => ({ ...DEFAULTS, name: 'My bot', ...over });
const PERCENT = { maxDigits: 9, places: 4, le: 100 };
const AMOUNT = { maxDigits: 38, places: 18 };

describe('numbers read as the API reads them', () => {
  // Each expectation is what pydantic 2 answered for the same text (as a JSON string) to
  // `Percent` / `Amount` / `Period`, its message put in the form's words.
  it.each([
    ['.5', '0.5'],
    ['5.', '5'],
    ['+5', '5'],
    [' 5\u00a0', '5'],
    ['\u001c5', '5'],
    ['1e1', '10'],
    ['.1E2', '10'],
    ['1_0', '10'],
    ['_1', '1'],
    ['0005.5000', '5.5'],
    ['5.000000000', '5'],
    ['100.0000', '100'],
    ['1e-4', '0.0001'],
    ['١٢', '12'],
    ['𝟓', '5'],
  ])('accepts the percentage %j, sent as %j', (text, sent) => {
    expect(readDecimal(text, PERCENT)).toEqual({ ok: true, value: sent });
  });

  it.each([
    ['', 'must be a number, like 2.5'],
    ['.', 'must be a number, like 2.5'],
    ['1,5', 'must be a number, like 2.5'],
    ['0x10', 'must be a number, like 2.5'],
    ['5e', 'must be a number, like 2.5'],
    ['\ufeff5', 'must be a number, like 2.5'],
    ['NaN', 'must be a finite number'],
    ['-Infinity', 'must be a finite number'],
    ['0', 'must be greater than 0'],
    ['-0', 'must be greater than 0'],
    ['-1', 'must be greater than 0'],
    ['0e30', 'must be greater than 0'],
    ['100.0001', 'must be at most 100'],
    ['1e3', 'must be at most 100'],
    ['0.00001', 'at most 4 decimal places'],
    ['-0.00001', 'at most 4 decimal places'],
    ['123456.5', 'at most 5 digits before the decimal point'],
    ['99999.99995', 'at most 9 digits in total'],
    ['1e19', 'at most 9 digits in total'],
  ])('refuses the percentage %j: %s', (text, error) => {
    expect(readDecimal(text, PERCENT)).toEqual({ ok: false, error });
  });

  it('takes amounts up to 20 digits before the point and 18 after, 38 in all', () => {
    const max = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
    expect(readDecimal(max, AMOUNT)).toEqual({ ok: true, value: max });
    expect(readDecimal('1e19', AMOUNT)).toEqual({ ok: true, value: '10000000000000000000' });
    expect(readDecimal(`${'1'.repeat(20)}.${'0'.repeat(30)}`, AMOUNT)).toEqual({ ok: true, value: '1'.repeat(20) });
    expect(readDecimal('1'.repeat(21), AMOUNT)).toEqual({ ok: false, error: 'at most 20 digits before the decimal point' });
    expect(readDecimal('0.0000000000000000001', AMOUNT)).toEqual({ ok: false, error: 'at most 18 decimal places' });
    expect(readDecimal('1'.repeat(39), AMOUNT)).toEqual({ ok: false, error: 'at most 38 digits in total' });
  });

  it('compares with the limits exactly, not in floating point', () => {
    expect(readDecimal('99.9999', { maxDigits: 9, places: 4, lt: 100 })).toEqual({ ok: true, value: '99.9999' });
    expect(readDecimal('100', { maxDigits: 9, places: 4, lt: 100 })).toEqual({ ok: false, error: 'must be less than 100' });
    expect(readDecimal('100.00000000000000001', { maxDigits: 38, places: 18, le: 100 })).toEqual({ ok: false, error: 'must be at most 100' });
  });

  it.each([
    ['+5', 5],
    [' 05 ', 5],
    ['5.0', 5],
    ['5_0', 50],
    ['5_0.00', 50],
    ['\u20285', 5],
  ])('accepts the whole number %j as %d', (text, n) => {
    expect(readInt(text, 2, 500)).toEqual({ ok: true, value: n });
  });

  it.each(['5.', '5.5', '1e1', '5__0', '_5', '٥', '\u001c5', ''])('refuses %j as a whole number', (text) => {
    expect(readInt(text, 2, 500)).toEqual({ ok: false, error: 'must be a whole number' });
  });
});

describe('bot form validation (the API rules)', () => {
  it('accepts the defaults with a name, and builds the API body', () => {
    expect(validate(form())).toEqual({});
    expect(toPayload(form({ symbol: ' eth/usdt ' }))).toMatchObject({
      name: 'My bot',
      symbol: 'ETH/USDT',
      mode: 'demo',
      position_size_perc: '10',
      position_size_fixed: null,
      stop_loss_perc: '2',
      ema_fast: 9,
      ema_slow: 21,
      max_daily_trades: null,
      api_key_id: null,
    });
  });

  it('sends each number as the API reads it', () => {
    const f = form({ stop_loss_perc: '.5', take_profit_perc: '5.', initial_capital: '1e3', ema_fast: '+5', max_daily_trades: '10.0' });
    expect(validate(f)).toEqual({});
    expect(toPayload(f)).toMatchObject({ stop_loss_perc: '0.5', take_profit_perc: '5', initial_capital: '1000', ema_fast: 5, max_daily_trades: 10 });
  });

  it('requires a name and a BASE/QUOTE symbol', () => {
    expect(validate(form({ name: '  ' })).name).toBe('required');
    expect(validate(form({ name: 'x'.repeat(101) })).name).toBe('at most 100 characters');
    expect(validate(form({ symbol: 'BTCUSDT' })).symbol).toMatch(/BASE\/QUOTE/);
    expect(validate(form({ symbol: 'B/USDT' })).symbol).toBeDefined();
    expect(toPayload(form({ symbol: '\u001cbtc/usdt\u0085' })).symbol).toBe('BTC/USDT');
  });

  it('counts a name in code points, as Python does, and strips only what pydantic strips', () => {
    expect(validate(form({ name: '😀'.repeat(100) })).name).toBeUndefined(); // 200 UTF-16 units
    expect(validate(form({ name: '😀'.repeat(101) })).name).toBe('at most 100 characters');
    expect(toPayload(form({ name: '\u0085 Bot \u3000' })).name).toBe('Bot');
    expect(validate(form({ name: '\ufeff' })).name).toBeUndefined(); // not white space there
    expect(validate(form({ name: '\u001c' })).name).toBeUndefined();
  });

  it('refuses NUL and lone surrogates in a name, like the API', () => {
    expect(validate(form({ name: 'a\u0000b' })).name).toBe('must not contain NUL characters');
    expect(validate(form({ name: 'a\ud800b' })).name).toBe('must be valid Unicode text (no lone surrogates)');
    expect(validate(form({ name: '\udfff' })).name).toBe('must be valid Unicode text (no lone surrogates)');
  });

  it('wants ema_fast < ema_slow, both 2..500', () => {
    expect(validate(form({ ema_fast: '21', ema_slow: '21' })).ema_fast).toBe('must be less than ema_slow (21)');
    expect(validate(form({ ema_fast: '1' })).ema_fast).toBe('must be at least 2');
    expect(validate(form({ ema_slow: '501' })).ema_slow).toBe('must be at most 500');
    expect(validate(form({ rsi_period: '2.5' })).rsi_period).toBe('must be a whole number');
  });

  it('wants rsi_oversold < rsi_overbought within 1..99', () => {
    expect(validate(form({ rsi_oversold: '70', rsi_overbought: '70' })).rsi_oversold).toBe('must be less than rsi_overbought (70)');
    expect(validate(form({ rsi_overbought: '100' })).rsi_overbought).toBe('must be at most 99');
    expect(validate(form({ rsi_oversold: '0' })).rsi_oversold).toBe('must be at least 1');
  });

  it('checks percentages: over 0, up to 100 (stops under 100), up to 4 decimals', () => {
    expect(validate(form({ stop_loss_perc: '0' })).stop_loss_perc).toBe('must be greater than 0');
    expect(validate(form({ take_profit_perc: '100.5' })).take_profit_perc).toBe('must be at most 100');
    expect(validate(form({ stop_loss_perc: '1.23456' })).stop_loss_perc).toBe('at most 4 decimal places');
    expect(validate(form({ stop_loss_perc: '' })).stop_loss_perc).toBe('required');
    expect(validate(form({ stop_loss_perc: '-1' })).stop_loss_perc).toBe('must be greater than 0');
    expect(validate(form({ stop_loss_perc: '100' })).stop_loss_perc).toBe('must be less than 100');
    expect(validate(form({ trailing_stop_perc: '100' })).trailing_stop_perc).toBe('must be less than 100');
    expect(validate(form({ take_profit_perc: '100', daily_target_perc: '100', max_daily_loss_perc: '100' }))).toEqual({});
    expect(validate(form({ daily_target_perc: '' }))).toEqual({});
  });

  it('wants exactly one position size, a percentage or a fixed amount', () => {
    expect(validate(form({ position_size: '' })).position_size).toMatch(/set a position size/);
    expect(validate(form({ size_kind: 'perc', position_size: '150' })).position_size).toBe('must be at most 100');
    expect(validate(form({ size_kind: 'fixed', position_size: '150' }))).toEqual({});
    expect(validate(form({ size_kind: 'fixed', position_size: '1'.repeat(21) })).position_size).toBe('at most 20 digits before the decimal point');
    const fixed = toPayload(form({ size_kind: 'fixed', position_size: '250' }));
    expect([fixed.position_size_perc, fixed.position_size_fixed]).toEqual([null, '250']);
  });

  it('needs a trailing percentage when the trailing stop is on', () => {
    expect(validate(form({ trailing_stop_active: true })).trailing_stop_perc).toMatch(/required/);
    expect(validate(form({ trailing_stop_active: true, trailing_stop_perc: '1.5' }))).toEqual({});
  });

  it('allows an API key only for live and testnet bots', () => {
    expect(validate(form({ mode: 'demo', api_key_id: '3' })).api_key_id).toMatch(/only live and testnet/);
    expect(validate(form({ mode: 'live', api_key_id: '3' }))).toEqual({});
  });

  it('checks the interval and the daily trade limit', () => {
    expect(validate(form({ check_interval_seconds: '9' })).check_interval_seconds).toBe('must be at least 10');
    expect(validate(form({ check_interval_seconds: '86401' })).check_interval_seconds).toBe('must be at most 86400');
    expect(validate(form({ max_daily_trades: '0' })).max_daily_trades).toBe('must be at least 1');
    expect(validate(form({ max_daily_trades: '10001' })).max_daily_trades).toBe('must be at most 10000');
  });

  it('sends only what changed in an edit, numbers compared as numbers', () => {
    const bot = makeBot({ stop_loss_perc: '2', take_profit_perc: '4' });
    const f = formFromBot(bot);
    expect(toChanges(f, bot)).toEqual({});
    expect(toChanges({ ...f, stop_loss_perc: '2.000', take_profit_perc: '4.' }, bot)).toEqual({});
    expect(toChanges({ ...f, stop_loss_perc: '3', name: 'Renamed' }, bot)).toEqual({ stop_loss_perc: '3', name: 'Renamed' });
    const fixed = toChanges({ ...f, size_kind: 'fixed', position_size: '100' }, bot);
    expect(fixed).toEqual({ position_size_perc: null, position_size_fixed: '100' });
  });

  it('locks symbol, mode and key while a position or an order is open, and says why', () => {
    expect(lockReason({ in_position: false, pending_order: null })).toBeNull();
    expect(lockReason({ in_position: true, pending_order: null })).toMatch(/holds a position/);
    expect(lockReason({ in_position: false, pending_order: { side: 'buy' } })).toMatch(/order \(buy\)/);
  });
});

describe('route ids', () => {
  it('takes only what the API could hold as an id', () => {
    expect(idParam('7')).toBe(7);
    expect(idParam('2147483647')).toBe(2147483647);
    for (const bad of [undefined, '', '0', '-1', 'abc', '1e3', '1.0', ' 7', '0x10', '2147483648']) expect(idParam(bad)).toBeNull();
  });
});

describe('backtest form validation', () => {
  const bt = (over: Partial<BacktestForm> = {}): BacktestForm => ({ ...BACKTEST_DEFAULTS, ...over });

  it('takes from 2 candles up to the API ceiling; the server names its own limit', () => {
    expect(validateBacktest(bt({ bars: '2' }), false)).toEqual({});
    expect(validateBacktest(bt({ bars: '1' }), false).bars).toBe('must be at least 2');
    expect(validateBacktest(bt({ bars: '10000000' }), false)).toEqual({});
    expect(validateBacktest(bt({ bars: '10000001' }), false).bars).toBe('must be at most 10000000');
    expect(validateBacktest(bt({ bars: 'many' }), false).bars).toBe('must be a whole number');
  });

  it('checks a date range as the server does', () => {
    const range = (from: string, to: string, timeframe = '1h') => validateBacktest(bt({ span: 'range', from, to, timeframe }), false);
    expect(range('', '').from).toBe('pick the first day');
    expect(range('2009-12-31', '').from).toBe('must not be before 2010-01-01');
    expect(range('2024-01-01', '2009-01-01').to).toBe('must not be before 2010-01-01');
    expect(range('2024-01-02', '2024-01-01').from).toBe('must be before to');
    expect(range('2024-01-01', '2024-01-02', '1d').from).toBe('the range holds fewer than 2 candles');
    expect(range('2024-01-01', '2024-01-03', '1d')).toEqual({});
    expect(range('2024-01-01', '')).toEqual({});
  });

  it('checks the strategy only when it is sent', () => {
    const edited = bt({ stop_loss_perc: '100', trailing_stop_active: true });
    expect(validateBacktest(edited, false)).toEqual({ stop_loss_perc: 'must be less than 100', trailing_stop_perc: 'required when the trailing stop is on' });
    expect(validateBacktest(edited, true)).toEqual({});
  });

  it("sends a bot's id for its own settings, and the settings once edited", () => {
    const bot = makeBot({ id: 3, timeframe: '5m', stop_loss_perc: '2' });
    const picked = bt({ bot_id: '3', ...formFromBot(bot), timeframe: '5m' });
    expect(backtestBody(picked, bot)).toEqual({ symbol: 'BTC/USDT', timeframe: '5m', source: 'demo', bars: 2000, bot_id: 3 });
    expect(backtestBody({ ...picked, stop_loss_perc: '2.0' }, bot)).toHaveProperty('bot_id', 3); // the same number
    const edited = backtestBody({ ...picked, size_kind: 'fixed', position_size: '250', trailing_stop_perc: '1', trailing_stop_active: true }, bot);
    expect(edited).not.toHaveProperty('bot_id');
    expect(edited).toMatchObject({ position_size_perc: null, position_size_fixed: '250', trailing_stop_perc: '1', trailing_stop_active: true, max_daily_trades: 10 });
    expect(backtestBody(bt({ span: 'range', from: '2024-01-01', to: '2024-02-01' }), undefined)).toMatchObject({
      from: '2024-01-01T00:00:00Z',
      to: '2024-02-01T00:00:00Z',
    });
  });
});
