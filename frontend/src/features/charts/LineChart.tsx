import { AreaSeries, type UTCTimestamp, createChart } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import { chartColors, usePrefersDark } from './theme';

interface Props {
  points: { time: number; value: number }[];
  label: string;
  height?: number;
  testId?: string;
}

/** An equity or cumulative P&L curve. */
export default function LineChart({ points, label, height = 220, testId = 'line-chart' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const dark = usePrefersDark();
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
    // One point per time: the last value wins (several trades in one second).
    const byTime = new Map<number, number>();
    for (const p of [...points].sort((a, b) => a.time - b.time)) byTime.set(p.time, p.value);
    series.setData([...byTime].map(([time, value]) => ({ time: time as UTCTimestamp, value })));
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [points, dark, height]);
  return <div ref={host} className="chart" role="figure" aria-label={label} data-testid={testId} style={{ height }} />;
}
