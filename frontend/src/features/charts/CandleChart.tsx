import {
  CandlestickSeries,
  type IChartApi,
  LineSeries,
  LineStyle,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
  createChart,
  createSeriesMarkers,
} from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import type { ChartData, Point } from '../../api/pending';
import { num, reasonText } from '../../lib/format';
import { snapToCandles } from './markers';
import { chartColors, usePrefersDark } from './theme';

const ts = (t: number) => t as UTCTimestamp;
const DEFAULT_RSI_LEVELS: [number, number] = [30, 70];
const line = (points: Point[]) =>
  points.filter((p) => p.value !== null).map((p) => ({ time: ts(p.time), value: Number(p.value) }));

interface Props {
  data: ChartData;
  emaFast?: number;
  emaSlow?: number;
  /** The bot's RSI levels, drawn on the RSI pane. */
  rsiLevels?: [number, number];
  height?: number;
  label: string;
}

/** Closed candles with both EMAs, RSI in a pane below, trade markers and the open
 * position's levels as price lines. The chart is rebuilt when a prop changes identity:
 * pass memoised values. */
export default function CandleChart({ data, emaFast, emaSlow, rsiLevels = DEFAULT_RSI_LEVELS, height = 480, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const dark = usePrefersDark();

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const c = chartColors(dark);
    const chart: IChartApi = createChart(el, {
      autoSize: true,
      height,
      layout: { background: { color: c.bg }, textColor: c.text, panes: { separatorColor: c.grid } },
      grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
      timeScale: { timeVisible: true, secondsVisible: false },
      rightPriceScale: { borderVisible: false },
    });
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: c.up,
      downColor: c.down,
      borderVisible: false,
      wickUpColor: c.up,
      wickDownColor: c.down,
    });
    candles.setData(
      data.candles.map((k) => ({ time: ts(k.time), open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close) })),
    );
    const fast = chart.addSeries(LineSeries, { color: c.fast, lineWidth: 2, priceLineVisible: false, lastValueVisible: false, title: emaFast ? `EMA ${emaFast}` : 'EMA fast' });
    fast.setData(line(data.ema_fast));
    const slow = chart.addSeries(LineSeries, { color: c.slow, lineWidth: 2, priceLineVisible: false, lastValueVisible: false, title: emaSlow ? `EMA ${emaSlow}` : 'EMA slow' });
    slow.setData(line(data.ema_slow));
    if (data.rsi.length) {
      const rsi = chart.addSeries(LineSeries, { color: c.rsi, lineWidth: 1, priceLineVisible: false, title: 'RSI' }, 1);
      rsi.setData(line(data.rsi));
      for (const level of rsiLevels) {
        rsi.createPriceLine({ price: level, color: c.grid === '#1f2937' ? '#6b7280' : '#9ca3af', lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: true, title: '' });
      }
      const [main, lower] = chart.panes();
      main?.setStretchFactor(3);
      lower?.setStretchFactor(1);
    }
    const times = data.candles.map((k) => k.time);
    const markers: SeriesMarker<Time>[] = snapToCandles(data.markers, times).map((m) => ({
      time: ts(m.bar),
      position: m.side === 'buy' ? 'belowBar' : 'aboveBar',
      shape: m.side === 'buy' ? 'arrowUp' : 'arrowDown',
      color: m.side === 'buy' ? c.up : c.down,
      text: `${m.side === 'buy' ? 'Buy' : 'Sell'}${m.reason ? ` · ${reasonText(m.reason)}` : ''}`,
    }));
    createSeriesMarkers(candles, markers);
    const levels = data.levels;
    if (levels) {
      const lines: [string, string | null, string, LineStyle][] = [
        ['Entry', levels.entry, c.text, LineStyle.Dotted],
        ['Stop', levels.stop, c.down, LineStyle.Dashed],
        ['Take profit', levels.take_profit, c.up, LineStyle.Dashed],
        ['Trailing', levels.trailing_stop, c.fast, LineStyle.Dashed],
      ];
      for (const [title, value, color, lineStyle] of lines) {
        const p = num(value);
        if (p !== null) candles.createPriceLine({ price: p, color, lineStyle, lineWidth: 1, axisLabelVisible: true, title });
      }
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [data, dark, height, emaFast, emaSlow, rsiLevels]);

  return <div ref={host} className="chart" role="img" aria-label={label} data-testid="candle-chart" style={{ height }} />;
}
