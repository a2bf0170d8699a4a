import type { Levels, Marker } from '../../api/client';

/** One candle as the charts draw it (the API's chart values are JSON numbers). */
export interface ChartCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** What the candle chart draws: a bot's or a market's chart (`/bots/{id}/chart`,
 * `/markets/chart`), or a backtest report's price chart (no indicators, no levels). */
export interface ChartView {
  candles: ChartCandle[];
  /** One value per candle, in the same order; null while an indicator warms up. */
  indicators?: { ema_fast: (number | null)[]; ema_slow: (number | null)[]; rsi: (number | null)[] };
  markers: Marker[];
  levels: Levels | null;
}
