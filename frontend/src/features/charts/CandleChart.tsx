import {
  CandlestickSeries,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  LineSeries,
  LineStyle,
  type SeriesMarker,
  type SeriesType,
  type Time,
  type UTCTimestamp,
  createChart,
  createSeriesMarkers,
} from 'lightweight-charts';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Levels } from '../../api/client';
import { reasonText } from '../../lib/format';
import { snapToCandles } from './markers';
import { chartColors, usePrefersDark } from './theme';
import type { ChartView } from './types';
import { restoreView } from './viewport';

const ts = (t: number) => t as UTCTimestamp;
const MAX_LABELLED = 40;
const DEFAULT_RSI_LEVELS: [number, number] = [30, 70];
/** An indicator's values on the candles' times, warm-up (null) left out. */
const line = (times: number[], values: (number | null)[]) =>
  times.flatMap((t, i) => (values[i] == null ? [] : [{ time: ts(t), value: values[i]! }]));

type Colors = ReturnType<typeof chartColors>;

/** One chart and its series, made once per theme and height and then fed in place. */
interface Parts {
  chart: IChartApi;
  colors: Colors;
  candles: ISeriesApi<'Candlestick'>;
  markers: ISeriesMarkersPluginApi<Time>;
  fast: ISeriesApi<'Line'> | null;
  slow: ISeriesApi<'Line'> | null;
  rsi: ISeriesApi<'Line'> | null;
  /** The price lines drawn now, by name. */
  levelLines: Map<string, IPriceLine>;
  rsiLines: Map<string, IPriceLine>;
  /** The candle times on the chart, null before the first data. */
  shown: number[] | null;
}

interface LineSpec {
  key: string;
  price: number | null;
  color: string;
  lineStyle: LineStyle;
  title: string;
}

/** Make a series' price lines match `specs`: move the ones that stay, add and remove the rest. */
function syncPriceLines(series: ISeriesApi<SeriesType>, lines: Map<string, IPriceLine>, specs: LineSpec[]) {
  for (const { key, price, color, lineStyle, title } of specs) {
    const drawn = lines.get(key);
    if (price === null) {
      if (drawn) series.removePriceLine(drawn);
      lines.delete(key);
    } else if (drawn) drawn.applyOptions({ price, color, lineStyle, title });
    else lines.set(key, series.createPriceLine({ price, color, lineStyle, lineWidth: 1, axisLabelVisible: true, title }));
  }
}

function build(el: HTMLElement, dark: boolean, height: number, withIndicators: boolean): Parts {
  const c = chartColors(dark);
  const chart = createChart(el, {
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
  const parts: Parts = { chart, colors: c, candles, markers: createSeriesMarkers(candles, []), fast: null, slow: null, rsi: null, levelLines: new Map(), rsiLines: new Map(), shown: null };
  if (withIndicators) {
    parts.fast = chart.addSeries(LineSeries, { color: c.fast, lineWidth: 2, priceLineVisible: false, lastValueVisible: false });
    parts.slow = chart.addSeries(LineSeries, { color: c.slow, lineWidth: 2, priceLineVisible: false, lastValueVisible: false });
    parts.rsi = chart.addSeries(LineSeries, { color: c.rsi, lineWidth: 1, priceLineVisible: false, title: 'RSI' }, 1);
    const [main, lower] = chart.panes();
    main?.setStretchFactor(3);
    lower?.setStretchFactor(1);
  }
  return parts;
}

interface Props {
  data: ChartView;
  /** The open position's levels, fresher than the chart's (the live state); `data.levels`
   * when left out. */
  levels?: Levels | null;
  emaFast?: number;
  emaSlow?: number;
  /** The bot's RSI levels, drawn on the RSI pane. */
  rsiLevels?: [number, number];
  height?: number;
  label: string;
}

/** Closed candles with both EMAs, RSI in a pane below, trade markers and the open
 * position's levels as price lines. The chart is made once per theme and height; new data,
 * markers and levels are put into it in place, so the user's zoom and scroll stay. */
export default function CandleChart({ data, levels, emaFast, emaSlow, rsiLevels = DEFAULT_RSI_LEVELS, height = 480, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const dark = usePrefersDark();
  const [parts, setParts] = useState<Parts | null>(null);
  const withIndicators = Boolean(data.indicators?.rsi.length);
  const placed = useMemo(() => snapToCandles(data.markers, data.candles.map((k) => k.time)), [data]);
  const shownLevels = levels === undefined ? data.levels : levels;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const made = build(el, dark, height, withIndicators);
    setParts(made);
    return () => made.chart.remove();
  }, [dark, height, withIndicators]);

  useEffect(() => {
    if (!parts) return;
    const { chart, candles, colors: c } = parts;
    const times = data.candles.map((k) => k.time);
    const range = chart.timeScale().getVisibleLogicalRange();
    candles.setData(data.candles.map((k) => ({ time: ts(k.time), open: k.open, high: k.high, low: k.low, close: k.close })));
    const ind = data.indicators;
    parts.fast?.setData(ind ? line(times, ind.ema_fast) : []);
    parts.slow?.setData(ind ? line(times, ind.ema_slow) : []);
    parts.rsi?.setData(ind ? line(times, ind.rsi) : []);
    const markers: SeriesMarker<Time>[] = placed.map((m) => ({
      time: ts(m.bar),
      position: m.side === 'BUY' ? 'belowBar' : 'aboveBar',
      shape: m.side === 'BUY' ? 'arrowUp' : 'arrowDown',
      color: m.side === 'BUY' ? c.up : c.down,
      // Labels only while they can be read: a long backtest has hundreds of markers.
      text: placed.length > MAX_LABELLED ? '' : `${m.side === 'BUY' ? 'Buy' : 'Sell'}${m.reason ? ` · ${reasonText(m.reason)}` : ''}`,
    }));
    parts.markers.setMarkers(markers);
    restoreView(chart.timeScale(), range, parts.shown, times);
    parts.shown = times;
  }, [parts, data, placed]);

  useEffect(() => {
    parts?.fast?.applyOptions({ title: emaFast ? `EMA ${emaFast}` : 'EMA fast' });
    parts?.slow?.applyOptions({ title: emaSlow ? `EMA ${emaSlow}` : 'EMA slow' });
  }, [parts, emaFast, emaSlow]);

  const [oversold, overbought] = rsiLevels;
  useEffect(() => {
    if (!parts?.rsi) return;
    const color = parts.colors.level;
    syncPriceLines(parts.rsi, parts.rsiLines, [
      { key: 'oversold', price: oversold, color, lineStyle: LineStyle.Dotted, title: '' },
      { key: 'overbought', price: overbought, color, lineStyle: LineStyle.Dotted, title: '' },
    ]);
  }, [parts, oversold, overbought]);

  // Their values, not the object: a new but equal one leaves the lines alone.
  const entry = shownLevels?.entry ?? null;
  const stopLoss = shownLevels?.stop_loss ?? null;
  const takeProfit = shownLevels?.take_profit ?? null;
  const trailing = shownLevels?.trailing_stop ?? null;
  useEffect(() => {
    if (!parts) return;
    const c = parts.colors;
    syncPriceLines(parts.candles, parts.levelLines, [
      { key: 'entry', price: entry, color: c.text, lineStyle: LineStyle.Dotted, title: 'Entry' },
      { key: 'stop', price: stopLoss, color: c.down, lineStyle: LineStyle.Dashed, title: 'Stop' },
      { key: 'take-profit', price: takeProfit, color: c.up, lineStyle: LineStyle.Dashed, title: 'Take profit' },
      { key: 'trailing', price: trailing, color: c.fast, lineStyle: LineStyle.Dashed, title: 'Trailing' },
    ]);
  }, [parts, entry, stopLoss, takeProfit, trailing]);

  return <div ref={host} className="chart" role="figure" aria-label={label} data-testid="candle-chart" data-markers={placed.length} style={{ height }} />;
}
