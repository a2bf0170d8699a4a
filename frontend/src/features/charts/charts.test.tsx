import { render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import CandleChart from './CandleChart';
import LineChart from './LineChart';
import type { ChartView } from './types';
import { carryRange } from './viewport';

// A stand-in for lightweight-charts (jsdom has no canvas) that records what the charts are told.
const lw = vi.hoisted(() => {
  type Range = { from: number; to: number } | null;
  type Options = Record<string, unknown>;
  const fakeSeries = () => {
    const lines: { options: Options; removed: boolean; applyOptions: (o: Options) => void }[] = [];
    return {
      data: [] as unknown[][],
      markers: [] as unknown[][],
      lines,
      setData(d: unknown[]) {
        this.data.push(d);
      },
      applyOptions() {},
      createPriceLine(options: Options) {
        const line = { options: { ...options }, removed: false, applyOptions: (o: Options) => Object.assign(line.options, o) };
        lines.push(line);
        return line;
      },
      removePriceLine(line: { removed: boolean }) {
        line.removed = true;
      },
    };
  };
  const fakeChart = () => {
    let range: Range = null;
    const chart = {
      series: [] as ReturnType<typeof fakeSeries>[],
      fits: 0,
      restored: [] as Range[],
      removed: false,
      /** What a user's scroll or zoom does. */
      scrollTo(r: Range) {
        range = r;
      },
      addSeries() {
        const s = fakeSeries();
        chart.series.push(s);
        return s;
      },
      panes: () => [{ setStretchFactor() {} }, { setStretchFactor() {} }],
      timeScale: () => ({
        getVisibleLogicalRange: () => range,
        setVisibleLogicalRange: (r: Range) => {
          range = r;
          chart.restored.push(r);
        },
        fitContent: () => {
          chart.fits += 1;
          range = { from: 0, to: 10 };
        },
      }),
      remove() {
        chart.removed = true;
      },
    };
    return chart;
  };
  const made: ReturnType<typeof fakeChart>[] = [];
  return {
    made,
    module: {
      createChart: () => {
        const c = fakeChart();
        made.push(c);
        return c;
      },
      createSeriesMarkers: (series: ReturnType<typeof fakeSeries>) => ({ setMarkers: (m: unknown[]) => series.markers.push(m) }),
      CandlestickSeries: 'Candlestick',
      LineSeries: 'Line',
      AreaSeries: 'Area',
      LineStyle: { Solid: 0, Dotted: 1, Dashed: 2 },
    },
  };
});
vi.mock('lightweight-charts', () => lw.module);

const candle = (time: number) => ({ time, open: 1, high: 2, low: 0.5, close: 1.5 });
const view = (times: number[], over: Partial<ChartView> = {}): ChartView => ({
  candles: times.map(candle),
  indicators: { ema_fast: times.map(() => 1), ema_slow: times.map(() => 1), rsi: times.map(() => 50) },
  markers: [],
  levels: null,
  ...over,
});
const levels = (entry: number | null, stop_loss: number | null, take_profit: number | null, trailing_stop: number | null) => ({ entry, stop_loss, take_profit, trailing_stop });
const drawn = (lines: { options: Record<string, unknown>; removed: boolean }[]) =>
  Object.fromEntries(lines.filter((l) => !l.removed).map((l) => [l.options.title, l.options.price]));

describe('charts', () => {
  beforeEach(() => {
    lw.made.length = 0;
  });

  it('puts new candles and markers into the same chart, fitting only the first data', () => {
    const { rerender } = render(<CandleChart data={view([60, 120, 180])} label="BTC" />);
    expect(lw.made).toHaveLength(1);
    const chart = lw.made[0]!;
    const candles = chart.series[0]!;
    expect(candles.data).toHaveLength(1);
    expect(chart.fits).toBe(1);
    // The user looks at the latest bars, zoomed in; a new candle and a trade arrive.
    chart.scrollTo({ from: 1, to: 10 });
    const marker = { time: 241, candle_time: 240, side: 'BUY' as const, price: 1.5, reason: 'golden_cross' };
    rerender(<CandleChart data={view([60, 120, 180, 240], { markers: [marker] })} label="BTC" />);
    expect(lw.made).toHaveLength(1);
    expect(chart.removed).toBe(false);
    expect(candles.data).toHaveLength(2);
    expect(candles.data[1]).toHaveLength(4);
    expect(candles.markers.at(-1)).toHaveLength(1);
    expect(screen.getByTestId('candle-chart')).toHaveAttribute('data-markers', '1');
    expect(chart.fits).toBe(1);
    expect(chart.restored).toEqual([{ from: 2, to: 11 }]);
  });

  it("draws the levels it is given, moving the same price lines as they change, else the chart's own", () => {
    const data = view([60, 120], { levels: levels(100, 95, 110, null) });
    const { rerender } = render(<CandleChart data={data} label="BTC" />);
    const candles = lw.made[0]!.series[0]!;
    expect(drawn(candles.lines)).toEqual({ Entry: 100, Stop: 95, 'Take profit': 110 });
    rerender(<CandleChart data={data} levels={levels(100, 97, 110, 99)} label="BTC" />);
    expect(drawn(candles.lines)).toEqual({ Entry: 100, Stop: 97, 'Take profit': 110, Trailing: 99 });
    expect(candles.lines).toHaveLength(4); // the stop line moved; no second one
    rerender(<CandleChart data={data} levels={null} label="BTC" />);
    expect(drawn(candles.lines)).toEqual({});
    expect(lw.made).toHaveLength(1);
    expect(candles.data).toHaveLength(1); // levels alone do not redraw the candles
    const rsi = lw.made[0]!.series[3]!;
    expect(rsi.lines.map((l) => l.options.price)).toEqual([30, 70]);
  });

  it('puts new points into the same line chart and keeps a scrolled-back view', () => {
    const points = (n: number) => Array.from({ length: n }, (_, i) => ({ time: 86_400 * (i + 1), value: i }));
    const { rerender } = render(<LineChart points={points(5)} label="P&L" />);
    const chart = lw.made[0]!;
    chart.scrollTo({ from: 0, to: 2 });
    rerender(<LineChart points={points(6)} label="P&L" />);
    expect(lw.made).toHaveLength(1);
    expect(chart.series[0]!.data.map((d) => d.length)).toEqual([5, 6]);
    expect(chart.fits).toBe(1);
    expect(chart.restored).toEqual([{ from: 0, to: 2 }]);
  });

  it('carries a view along when bars change', () => {
    const before = [60, 120, 180];
    // Showing the last bar: keep showing the latest, also when the oldest bar drops out.
    expect(carryRange({ from: 1, to: 9 }, before, [60, 120, 180, 240])).toEqual({ from: 2, to: 10 });
    expect(carryRange({ from: 1, to: 9 }, before, [120, 180, 240])).toEqual({ from: 1, to: 9 });
    // Scrolled back: keep the same times in view.
    expect(carryRange({ from: 0, to: 1 }, before, [120, 180, 240])).toEqual({ from: -1, to: 0 });
    expect(carryRange({ from: 0, to: 1 }, before, [0, 60, 120, 180])).toEqual({ from: 1, to: 2 });
    // Other data altogether: nothing to carry.
    expect(carryRange({ from: 0, to: 1 }, before, [300, 360])).toBeNull();
    expect(carryRange({ from: 0, to: 1 }, [], [300, 360])).toBeNull();
  });
});
