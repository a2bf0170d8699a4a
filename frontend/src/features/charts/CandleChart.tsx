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
import { useEffect, useMemo, useRef } from 'react';
import { reasonText } from '../../lib/format';
import { snapToCandles } from './markers';
import { chartColors, usePrefersDark } from './theme';
import type { ChartView } from './types';

const ts = (t: number) => t as UTCTimestamp;
const MAX_LABELLED = 40;
const DEFAULT_RSI_LEVELS: [number, number] = [30, 70];
/** An indicator's values on the candles' times, warm-up (null) left out. */
const line = (times: number[], values: (number | null)[]) =>
  times.flatMap((t, i) => (values[i] == null ? [] : [{ time: ts(t), value: values[i]! }]));

interface Props {
  data: ChartView;
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
  const placed = useMemo(() => snapToCandles(data.markers, data.candles.map((k) => k.time)), [data]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const c = chartColors(dark);
    const chart: IChartApi = createChart(el, {
      autoSize: true,
      height,
      layout: { background: { color: c.bg }, textColor: c.text, panes: { separatorColor: c.grid } },
      grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
      // Room right of the last candle, for its marker's label.
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 8 },
      rightPriceScale: { borderVisible: false },
    });
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: c.up,
      downColor: c.down,
      borderVisible: false,
      wickUpColor: c.up,
      wickDownColor: c.down,
    });
    candles.setData(data.candles.map((k) => ({ time: ts(k.time), open: k.open, high: k.high, low: k.low, close: k.close })));
    const times = data.candles.map((k) => k.time);
    const ind = data.indicators;
    if (ind) {
    const fast = chart.addSeries(LineSeries, { color: c.fast, lineWidth: 2, priceLineVisible: false, lastValueVisible: false, title: emaFast ? `EMA ${emaFast}` : 'EMA fast' });
    fast.setData(line(times, ind.ema_fast));
    const slow = chart.addSeries(LineSeries, { color: c.slow, lineWidth: 2, priceLineVisible: false, lastValueVisible: false, title: emaSlow ? `EMA ${emaSlow}` : 'EMA slow' });
    slow.setData(line(times, ind.ema_slow));
    }
    if (ind?.rsi.length) {
      const rsi = chart.addSeries(LineSeries, { color: c.rsi, lineWidth: 1, priceLineVisible: false, title: 'RSI' }, 1);
      rsi.setData(line(times, ind.rsi));
      for (const level of rsiLevels) {
        rsi.createPriceLine({ price: level, color: c.grid === '#1f2937' ? '#6b7280' : '#9ca3af', lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: true, title: '' });
      }
      const [main, lower] = chart.panes();
      main?.setStretchFactor(3);
      lower?.setStretchFactor(1);
    }
    const markers: SeriesMarker<Time>[] = placed.map((m) => ({
      time: ts(m.bar),
      position: m.side === 'BUY' ? 'belowBar' : 'aboveBar',
      shape: m.side === 'BUY' ? 'arrowUp' : 'arrowDown',
      color: m.side === 'BUY' ? c.up : c.down,
      // Labels only while they can be read: a long backtest has hundreds of markers.
      text: placed.length > MAX_LABELLED ? '' : `${m.side === 'BUY' ? 'Buy' : 'Sell'}${m.reason ? ` · ${reasonText(m.reason)}` : ''}`,
    }));
    createSeriesMarkers(candles, markers);
    const levels = data.levels;
    if (levels) {
      const lines: [string, number | null, string, LineStyle][] = [
        ['Entry', levels.entry, c.text, LineStyle.Dotted],
        ['Stop', levels.stop_loss, c.down, LineStyle.Dashed],
        ['Take profit', levels.take_profit, c.up, LineStyle.Dashed],
        ['Trailing', levels.trailing_stop, c.fast, LineStyle.Dashed],
      ];
      for (const [title, value, color, lineStyle] of lines) {
        if (value !== null) candles.createPriceLine({ price: value, color, lineStyle, lineWidth: 1, axisLabelVisible: true, title });
      }
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [data, placed, dark, height, emaFast, emaSlow, rsiLevels]);

  return <div ref={host} className="chart" role="figure" aria-label={label} data-testid="candle-chart" data-markers={placed.length} style={{ height }} />;
}
