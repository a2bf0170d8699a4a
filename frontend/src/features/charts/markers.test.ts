import { describe, expect, it } from 'vitest';
import { cumulativePnl } from '../bots/TradesTable';
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

  it('sums realised P&L oldest first, over closing trades, from 0 at the first trade', () => {
    const t = (id: number, ts: string, pnl: string | null) => ({ id, timestamp: ts, pnl }) as never;
    expect(
      cumulativePnl([t(2, '2026-01-02T00:00:00Z', '-1.5'), t(1, '2026-01-01T00:00:00Z', '3'), t(0, '2025-12-31T00:00:00Z', null), t(3, '2026-01-03T00:00:00Z', null)]),
    ).toEqual([
      { time: 1767139200, value: 0 },
      { time: 1767225600, value: 3 },
      { time: 1767312000, value: 1.5 },
    ]);
    expect(cumulativePnl([t(1, '2026-01-01T00:00:00Z', null)])).toEqual([]);
  });
});
