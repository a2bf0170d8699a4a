import { describe, expect, it } from 'vitest';
import { makeBot } from '../../test/fixtures';
import { DEFAULTS, type BotForm, formFromBot, lockReason, toChanges, toPayload, validate } from './validation';

const form = (over: Partial<BotForm> = {}): BotForm => ({ ...DEFAULTS, name: 'My bot', ...over });

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

  it('requires a name and a BASE/QUOTE symbol', () => {
    expect(validate(form({ name: '  ' })).name).toBe('required');
    expect(validate(form({ name: 'x'.repeat(101) })).name).toMatch(/100/);
    expect(validate(form({ symbol: 'BTCUSDT' })).symbol).toMatch(/BASE\/QUOTE/);
    expect(validate(form({ symbol: 'B/USDT' })).symbol).toBeDefined();
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

  it('checks percentages: over 0, up to 100, up to 4 decimals', () => {
    expect(validate(form({ stop_loss_perc: '0' })).stop_loss_perc).toBe('must be greater than 0');
    expect(validate(form({ take_profit_perc: '100.5' })).take_profit_perc).toBe('must be at most 100');
    expect(validate(form({ stop_loss_perc: '1.23456' })).stop_loss_perc).toBe('at most 4 decimal places');
    expect(validate(form({ stop_loss_perc: '' })).stop_loss_perc).toBe('required');
    expect(validate(form({ stop_loss_perc: '-1' })).stop_loss_perc).toMatch(/number/);
    expect(validate(form({ take_profit_perc: '100' }))).toEqual({});
    expect(validate(form({ daily_target_perc: '' }))).toEqual({});
  });

  it('wants exactly one position size, a percentage or a fixed amount', () => {
    expect(validate(form({ position_size: '' })).position_size).toMatch(/set a position size/);
    expect(validate(form({ size_kind: 'perc', position_size: '150' })).position_size).toBe('must be at most 100');
    expect(validate(form({ size_kind: 'fixed', position_size: '150' }))).toEqual({});
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
  });

  it('sends only what changed in an edit', () => {
    const bot = makeBot({ stop_loss_perc: '2', take_profit_perc: '4' });
    const f = formFromBot(bot);
    expect(toChanges(f, bot)).toEqual({});
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
