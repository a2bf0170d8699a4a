import { describe, expect, it } from 'vitest';
import { snapToCandles } from './markers';

describe('chart helpers', () => {
  it('puts each marker on the candle it falls in, in time order', () => {
    const candles = [60, 120, 180];
    const out = snapToCandles(
      [
        { time: 190, candle_time: 185, side: 'SELL', price: 2, reason: 'take_profit' },
        { time: 62, candle_time: 61, side: 'BUY', price: 1, reason: 'golden_cross' },
        { time: 12, candle_time: 10, side: 'BUY', price: 1, reason: null }, // before the first candle: dropped
      ],
      candles,
    );
    expect(out.map((m) => [m.bar, m.side])).toEqual([
      [60, 'BUY'],
      [180, 'SELL'],
    ]);
  });
});
