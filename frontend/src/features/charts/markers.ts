import type { Marker } from '../../api/pending';

/** The open time of the candle each marker falls in (markers must sit on a bar). */
export function snapToCandles(markers: Marker[], candleTimes: number[]): (Marker & { bar: number })[] {
  const out: (Marker & { bar: number })[] = [];
  for (const m of markers) {
    let lo = 0;
    let hi = candleTimes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (candleTimes[mid]! <= m.time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0) out.push({ ...m, bar: candleTimes[found]! });
  }
  return out.sort((a, b) => a.bar - b.bar);
}
