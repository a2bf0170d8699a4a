import { AreaSeries, type IChartApi, type ISeriesApi, type UTCTimestamp, createChart } from 'lightweight-charts';
import { useEffect, useRef, useState } from 'react';
import { chartColors, usePrefersDark } from './theme';
import { restoreView } from './viewport';

interface Props {
  points: { time: number; value: number }[];
  label: string;
  height?: number;
  testId?: string;
}

interface Parts {
  chart: IChartApi;
  series: ISeriesApi<'Area'>;
  /** The point times on the chart, null before the first data. */
  shown: number[] | null;
}

/** An equity or cumulative P&L curve. The chart is made once per theme and height; new
 * points go into it in place, so the user's zoom and scroll stay. */
export default function LineChart({ points, label, height = 220, testId = 'line-chart' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const dark = usePrefersDark();
  const [parts, setParts] = useState<Parts | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const c = chartColors(dark);
    const chart = createChart(el, {
      autoSize: true,
      height,
      layout: { background: { color: c.bg }, textColor: c.text },
      grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
      timeScale: { timeVisible: true },
    });
    const series = chart.addSeries(AreaSeries, { lineColor: c.line, topColor: `${c.line}55`, bottomColor: `${c.line}05`, lineWidth: 2 });
    setParts({ chart, series, shown: null });
    return () => chart.remove();
  }, [dark, height]);

  useEffect(() => {
    if (!parts) return;
    // One point per time: the last value wins (several trades in one second).
    const byTime = new Map<number, number>();
    for (const p of [...points].sort((a, b) => a.time - b.time)) byTime.set(p.time, p.value);
    const times = [...byTime.keys()];
    const range = parts.chart.timeScale().getVisibleLogicalRange();
    parts.series.setData([...byTime].map(([time, value]) => ({ time: time as UTCTimestamp, value })));
    restoreView(parts.chart.timeScale(), range, parts.shown, times);
    parts.shown = times;
  }, [parts, points]);

  return <div ref={host} className="chart" role="figure" aria-label={label} data-testid={testId} style={{ height }} />;
}
