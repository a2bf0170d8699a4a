import type { Stats } from '../../api/client';

export interface PnlPoint {
  time: number;
  value: number;
}

const DAY = 86_400;
/** A UTC day (`YYYY-MM-DD`, or an ISO time on it) as the Unix seconds of its midnight. */
const midnight = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / 1000;
/** Sums of decimal strings go through floats: round off their dust for the axis labels. */
const round = (n: number) => Math.round(n * 1e8) / 1e8;

/** A bot's cumulative realised P&L at the end of each UTC day with trades in the stats'
 * range, starting the day before the first at what it made before the range (0 for a bot
 * younger than the range). Empty for a bot with no exit that won or lost yet. */
export function pnlCurve(stats: Stats): PnlPoint[] {
  // Entries alone realise nothing: no curve until the first exit with a P&L.
  if (stats.all_time.wins + stats.all_time.losses === 0) return [];
  let total = Number(stats.all_time.realised_pnl) - Number(stats.total.realised_pnl);
  const days = stats.by_day;
  // Traded only before the range: a flat line across it.
  if (days.length === 0) return [stats.start, stats.end].map((t) => ({ time: midnight(t), value: round(total) }));
  const points = [{ time: midnight(days[0]!.day) - DAY, value: round(total) }];
  for (const d of days) {
    total += Number(d.realised_pnl);
    points.push({ time: midnight(d.day), value: round(total) });
  }
  return points;
}
