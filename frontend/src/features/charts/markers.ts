import type { Marker } from '../../api/client';

/** The open time of the chart candle each marker falls in (markers must sit on a bar): a
 * backtest's price chart merges candles, so a fill's own candle may not be on it. */
export function snapToCandles(markers: Marker[], candleTimes: number[]): (Marker & { bar: number })[] {
  const out: (Marker & { bar: number })[] = [];
  for (const m of markers) {
    let lo = 0;
    let hi = candleTimes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (candleTimes[mid]! <= m.candle_time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0) out.push({ ...m, bar: candleTimes[found]! });
  }
  return out.sort((a, b) => a.bar - b.bar);
}
