import { describe, expect, it } from 'vitest';
import type { Stats } from '../../api/client';
import { pnlCurve } from './pnl';

// Every second fill an exit, as with round trips; one in two a win.
const totals = (realised_pnl: string, trades: number) => ({ realised_pnl, fees: '0', trades, wins: Math.ceil(trades / 4), losses: Math.floor(trades / 4) });
const day = (d: string, realised_pnl: string) => ({ day: d, ...totals(realised_pnl, 2) });
const stats = (over: Partial<Stats>): Stats => ({
  start: '2026-01-01T00:00:00+00:00',
  end: '2026-12-31T12:00:00+00:00',
  bot_id: 1,
  total: totals('0', 0),
  by_bot: [],
  by_day: [],
  today: totals('0', 0),
  all_time: totals('0', 0),
  groups: [],
  ...over,
});
const at = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;

describe('cumulative P&L', () => {
  it('adds up the days from 0 on the day before the first', () => {
    const s = stats({ by_day: [day('2026-03-01', '3'), day('2026-03-04', '-1.1'), day('2026-03-05', '0.2')], total: totals('2.1', 6), all_time: totals('2.1', 6) });
    expect(pnlCurve(s)).toEqual([
      { time: at('2026-02-28'), value: 0 },
      { time: at('2026-03-01'), value: 3 },
      { time: at('2026-03-04'), value: 1.9 },
      { time: at('2026-03-05'), value: 2.1 },
    ]);
  });

  it('starts from what the bot made before the range', () => {
    const s = stats({ by_day: [day('2026-03-01', '3')], total: totals('3', 2), all_time: totals('10', 40) });
    expect(pnlCurve(s).map((p) => p.value)).toEqual([7, 10]);
    // No trades in the range, some before it: flat across the range.
    expect(pnlCurve(stats({ all_time: totals('7', 38) }))).toEqual([
      { time: at('2026-01-01'), value: 7 },
      { time: at('2026-12-31'), value: 7 },
    ]);
  });

  it('has nothing to draw for a bot that never traded, or only entered', () => {
    expect(pnlCurve(stats({}))).toEqual([]);
    const entered = { realised_pnl: '0', fees: '0.1', trades: 1, wins: 0, losses: 0 };
    expect(pnlCurve(stats({ by_day: [{ day: '2026-03-01', ...entered }], total: entered, all_time: entered }))).toEqual([]);
  });
});
