import type { ITimeScaleApi, Time } from 'lightweight-charts';

/** A visible logical range: bar indexes, fractional at the edges. */
export interface BarRange {
  from: number;
  to: number;
}

/** Where the view should be after a chart's bars change from `before` to `after` (their
 * times, ascending), so new data does not undo the user's zoom and scroll. A view showing
 * the last bar keeps showing the latest ones (new bars push it along); a view scrolled back
 * keeps showing the same times. Null when the new bars are another series altogether (the
 * old last bar is not among them): fit the new content instead. */
export function carryRange(range: BarRange, before: number[], after: number[]): BarRange | null {
  const lastBefore = before.length - 1;
  const anchor = after.indexOf(before[lastBefore]!);
  if (lastBefore < 0 || anchor < 0) return null;
  const shift = range.to >= lastBefore ? after.length - before.length : anchor - lastBefore;
  return { from: range.from + shift, to: range.to + shift };
}

/** After a chart's bars changed: put the view taken before (`range`, over the bars
 * `before`) back where `carryRange` says, or fit the content (first data, other data). */
export function restoreView(timeScale: Pick<ITimeScaleApi<Time>, 'fitContent' | 'setVisibleLogicalRange'>, range: BarRange | null, before: number[] | null, after: number[]) {
  const carried = range && before ? carryRange(range, before, after) : null;
  if (carried) timeScale.setVisibleLogicalRange(carried);
  else timeScale.fitContent();
}
