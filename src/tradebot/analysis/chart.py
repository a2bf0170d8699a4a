"""The `/chart` picture: candles with both EMAs over an RSI pane, as a PNG.

Pure: candles in, PNG bytes out. A `matplotlib.figure.Figure` of its own per call with the
Agg canvas, never pyplot, whose global figure registry is neither thread- nor fork-friendly.
The indicators are computed over every candle given (their warm-up included) and only the
newest `shown` are drawn, as the dashboard's chart does.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from tradebot.core.candles import Candles, from_ms
from tradebot.core.config import StrategyConfig
from tradebot.core.indicators import ema, rsi

UP, DOWN = "#26a69a", "#ef5350"
FAST, SLOW, RSI_LINE = "#f5a623", "#4a90e2", "#8e44ad"
SIZE_INCHES, DPI = (8.0, 5.0), 100  # 800 x 500 px: sharp on a phone, ~60 KB


def _time_label(step_ms: int) -> str:
    return "%d %b %H:%M" if step_ms < 86_400_000 else "%d %b %Y"


def render_chart(
    candles: Candles, *, title: str, config: StrategyConfig, shown: int = 120
) -> bytes:
    """A PNG of the newest `shown` candles with EMA fast/slow and RSI (oversold/overbought)."""
    close = candles.close
    fast, slow = ema(close, config.ema_fast), ema(close, config.ema_slow)
    strength = rsi(close, config.rsi_period)
    start = max(0, len(candles) - shown)
    c = candles[start:]
    x = np.arange(len(c))

    fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    price_ax, rsi_ax = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)}, squeeze=True
    )
    up = c.close >= c.open
    colors = np.where(up, UP, DOWN)
    price_ax.vlines(x, c.low, c.high, colors=colors, linewidth=0.8)
    body_low = np.minimum(c.open, c.close)
    body = np.maximum(
        np.abs(c.close - c.open), (c.high.max() - c.low.min()) * 1e-4 if len(c) else 0
    )
    price_ax.bar(x, body, bottom=body_low, width=0.7, color=colors, linewidth=0)
    price_ax.plot(x, fast[start:], color=FAST, linewidth=1.2, label=f"EMA {config.ema_fast}")
    price_ax.plot(x, slow[start:], color=SLOW, linewidth=1.2, label=f"EMA {config.ema_slow}")
    price_ax.set_title(title, fontsize=11, loc="left")
    price_ax.legend(loc="upper left", fontsize=8, frameon=False)
    price_ax.grid(alpha=0.25)
    price_ax.yaxis.tick_right()

    rsi_ax.plot(x, strength[start:], color=RSI_LINE, linewidth=1.0)
    oversold, overbought = float(config.rsi_oversold), float(config.rsi_overbought)
    rsi_ax.axhspan(oversold, overbought, color=RSI_LINE, alpha=0.06)
    for level in (oversold, overbought):
        rsi_ax.axhline(level, color=RSI_LINE, linewidth=0.6, linestyle="--", alpha=0.6)
    rsi_ax.set_ylim(0, 100)
    rsi_ax.set_yticks([oversold, overbought])
    rsi_ax.set_ylabel(f"RSI {config.rsi_period}", fontsize=8)
    rsi_ax.yaxis.tick_right()
    rsi_ax.grid(alpha=0.25)

    times = c.open_time
    step = int(times[1] - times[0]) if len(times) > 1 else 60_000
    fmt = _time_label(step)

    def label(value: float, _pos: int) -> str:
        i = round(value)
        return from_ms(int(times[i])).strftime(fmt) if 0 <= i < len(times) else ""

    rsi_ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    rsi_ax.xaxis.set_major_formatter(FuncFormatter(label))
    rsi_ax.set_xlim(-1, max(len(c), 1))
    for ax in (price_ax, rsi_ax):
        ax.tick_params(labelsize=8)

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
