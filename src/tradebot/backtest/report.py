"""Backtest outputs: a text summary, the trade list as CSV, a self-contained HTML report.

The HTML works offline (no CDN, no library). It opens with inline SVG charts of the whole
run, reduced to at most `MAX_POINTS` buckets (lowest low, highest high, last close each), so
it reads without scripts. A small script then makes them zoomable (wheel, drag, buttons, a
position slider): the page embeds the series at full resolution up to `MAX_EMBED` candles
(longer runs in that many buckets), and each redraw reduces the visible range to at most
2,000 points, so a zoomed-in week of a year of 1m candles shows every candle.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from tradebot.backtest.engine import BacktestResult
from tradebot.backtest.ledger import BacktestTrade
from tradebot.core.candles import from_ms
from tradebot.core.indicators import FloatArray

MAX_POINTS = 1200
MAX_EMBED = 50_000
SCRIPT = resources.files("tradebot.backtest").joinpath("report.js").read_text(encoding="utf-8")
MAX_MARKERS = 1000
MAX_TABLE_ROWS = 500
TRADE_FIELDS = (
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "entry_fee",
    "exit_fee",
    "pnl",
    "return_perc",
    "entry_reason",
    "exit_reason",
)
_W, _H, _PAD = 1000, 360, 56


def summary_text(result: BacktestResult, title: str = "Backtest") -> str:
    """A few lines with the period, settings and metrics."""
    m, cfg, c = result.metrics, result.config, result.candles
    trailing = f"{cfg.trailing_stop_perc}%" if cfg.trailing_enabled else "off"
    lines = [
        title,
        f"  period        {from_ms(int(c.open_time[0])):%Y-%m-%d %H:%M} .. "
        f"{from_ms(int(c.open_time[-1])):%Y-%m-%d %H:%M} UTC ({len(c):,} candles)",
        f"  strategy      EMA {cfg.ema_fast}/{cfg.ema_slow}, RSI {cfg.rsi_period} "
        f"({cfg.rsi_oversold}/{cfg.rsi_overbought}), stop {cfg.stop_loss_perc}%, "
        f"target {cfg.take_profit_perc}%, trailing {trailing}",
        f"  balance       {result.initial_balance:,.2f} -> {m.final_balance:,.2f}",
        f"  total return  {m.total_return_perc:.2f}% (buy and hold {m.buy_and_hold_perc:.2f}%)",
        f"  trades        {m.num_trades} (win rate {m.win_rate_perc:.1f}%)",
        f"  max drawdown  {m.max_drawdown_perc:.2f}%",
        f"  sharpe        {_opt(m.sharpe)} (daily, annualised)   sortino {_opt(m.sortino)}",
        f"  profit factor {_opt(m.profit_factor)}   expectancy {m.expectancy:,.2f} per trade",
        f"  trade length  {duration_text(m.avg_trade_seconds)} on average, "
        f"longest {duration_text(m.longest_trade_seconds)}",
        f"  CAGR          {_opt(m.cagr_perc, '{:,.2f}%')}",
        f"  fees          {m.total_fees:,.2f}",
        f"  exposure      {m.exposure_perc:.1f}% of candles",
    ]
    if result.skipped_entries:
        skipped = ", ".join(f"{k.value}: {v}" for k, v in result.skipped_entries.items())
        lines.append(f"  skipped       {skipped}")
    return "\n".join(lines)


def _opt(value: object, fmt: str = "{:.2f}") -> str:
    """A figure that may be undefined (no losing day, a run shorter than a day)."""
    return "n/a" if value is None else fmt.format(value)


def duration_text(seconds: float) -> str:
    """3d 4h, 2h 5m, 45m, 30s."""
    total = round(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def _row(trade: BacktestTrade) -> list[str]:
    return [
        trade.entry_time.isoformat(),
        trade.exit_time.isoformat(),
        *(
            str(getattr(trade, f))
            for f in TRADE_FIELDS[2:9]  # prices, quantity, fees, pnl, return
        ),
        trade.entry_reason.value,
        trade.exit_reason.value,
    ]


def write_trades_csv(trades: Sequence[BacktestTrade], path: Path) -> None:
    """One row per round trip, Decimal values written exactly."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRADE_FIELDS)
        writer.writerows(_row(t) for t in trades)


def _buckets(n: int) -> np.ndarray:
    """Start index of each bucket (at most MAX_POINTS)."""
    count = min(n, MAX_POINTS)
    return np.unique(np.linspace(0, n, count, endpoint=False).astype(np.int64))


class _Frame:
    """Maps candle index and value to SVG coordinates."""

    def __init__(self, n: int, lo: float, hi: float) -> None:
        span = hi - lo or abs(hi) or 1.0
        self.n, self.lo, self.hi = n, lo - span * 0.03, hi + span * 0.03

    def x(self, index: FloatArray | float) -> FloatArray:
        return _PAD + np.asarray(index, dtype=np.float64) / max(self.n - 1, 1) * (_W - _PAD - 10)

    def y(self, value: FloatArray | float) -> FloatArray:
        frac = (np.asarray(value, dtype=np.float64) - self.lo) / (self.hi - self.lo)
        return _H - 24 - frac * (_H - 34)


def _points(xs: FloatArray, ys: FloatArray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True) if np.isfinite(y))


def _axes(frame: _Frame, times: np.ndarray, fmt: str = "{:,.2f}") -> str:
    parts = []
    for value in np.linspace(frame.lo, frame.hi, 5):
        y = float(frame.y(value))
        parts.append(
            f'<line x1="{_PAD}" x2="{_W - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_PAD - 4}" y="{y + 4:.1f}" class="yl">{fmt.format(value)}</text>'
        )
    for index in np.linspace(0, frame.n - 1, 5).astype(np.int64):
        x = float(frame.x(float(index)))
        label = f"{from_ms(int(times[index])):%Y-%m-%d %H:%M}"
        parts.append(f'<text x="{x:.1f}" y="{_H - 6}" class="xl">{label}</text>')
    return "".join(parts)


def _price_legend(result: BacktestResult) -> str:
    return (
        '<text x="70" y="16" class="lg"><tspan class="tclose">close</tspan> '
        f'<tspan class="tfast">EMA {result.config.ema_fast}</tspan> '
        f'<tspan class="tslow">EMA {result.config.ema_slow}</tspan> '
        '<tspan class="tbuy">&#9650; entry</tspan> <tspan class="tsell">&#9660; exit</tspan></text>'
    )


_EQUITY_LEGEND = (
    '<text x="70" y="16" class="lg"><tspan class="tequity">equity</tspan> '
    '<tspan class="thold">buy and hold</tspan></text>'
)


def price_svg(result: BacktestResult) -> str:
    """Price range and close, both EMAs, and entry/exit markers."""
    c, sig = result.candles, result.signals
    starts = _buckets(len(c))
    ends = np.r_[starts[1:], len(c)] - 1
    highs, lows = np.maximum.reduceat(c.high, starts), np.minimum.reduceat(c.low, starts)
    frame = _Frame(len(c), float(lows.min()), float(highs.max()))
    xs = frame.x(ends.astype(np.float64))
    band = _points(np.r_[xs, xs[::-1]], np.r_[frame.y(highs), frame.y(lows[::-1])])
    lines = [
        f'<polygon points="{band}" class="band"/>',
        f'<polyline points="{_points(xs, frame.y(c.close[ends]))}" class="close"/>',
        f'<polyline points="{_points(xs, frame.y(sig.ema_fast[ends]))}" class="fast"/>',
        f'<polyline points="{_points(xs, frame.y(sig.ema_slow[ends]))}" class="slow"/>',
    ]
    for t in result.trades[-MAX_MARKERS:]:
        for bar, price, kind in (
            (t.entry_bar, t.entry_price, "buy"),
            (t.exit_bar, t.exit_price, "sell"),
        ):
            x, y = float(frame.x(float(bar))), float(frame.y(float(price)))
            dy = 7 if kind == "buy" else -7
            why = html.escape(t.entry_reason.value if kind == "buy" else t.exit_reason.value)
            lines.append(
                f'<path d="M{x:.1f},{y:.1f} l-4,{dy} h8 z" class="{kind}">'
                f"<title>{kind} {price:.8g} ({why})</title></path>"
            )
    body = _axes(frame, c.open_time) + "".join(lines) + _price_legend(result)
    return f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="price">{body}</svg>'


def equity_svg(result: BacktestResult) -> str:
    """The account value at each close, and buy-and-hold for comparison."""
    c, equity = result.candles, result.equity
    starts = _buckets(len(c))
    ends = np.r_[starts[1:], len(c)] - 1
    hold = float(result.initial_balance) * c.close / c.open[0]
    frame = _Frame(
        len(c), float(min(equity.min(), hold.min())), float(max(equity.max(), hold.max()))
    )
    xs = frame.x(ends.astype(np.float64))
    body = (
        _axes(frame, c.open_time)
        + f'<polyline points="{_points(xs, frame.y(hold[ends]))}" class="hold"/>'
        + f'<polyline points="{_points(xs, frame.y(equity[ends]))}" class="equity"/>'
        + _EQUITY_LEGEND
    )
    return f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="equity">{body}</svg>'


def _series(values: FloatArray) -> list[float | None]:
    return [float(f"{v:.8g}") if math.isfinite(v) else None for v in values.tolist()]


def chart_data(result: BacktestResult) -> dict[str, object]:
    """The series the zoomable charts draw: full resolution up to MAX_EMBED candles, else
    MAX_EMBED buckets (lowest low, highest high, values at the bucket's last candle)."""
    c, sig = result.candles, result.signals
    n = len(c)
    starts = np.unique(np.linspace(0, n, min(n, MAX_EMBED), endpoint=False).astype(np.int64))
    ends = np.r_[starts[1:], n] - 1
    bucket_of = np.searchsorted(starts, np.arange(n), side="right") - 1
    hold = float(result.initial_balance) * c.close / c.open[0]
    markers = []
    for t in result.trades[-MAX_MARKERS:]:
        markers.append([int(bucket_of[t.entry_bar]), float(t.entry_price), 0, t.entry_reason.value])
        markers.append([int(bucket_of[t.exit_bar]), float(t.exit_price), 1, t.exit_reason.value])
    return {
        "t": (c.open_time[starts] // 1000).tolist(),
        "lo": _series(np.minimum.reduceat(c.low, starts)),
        "hi": _series(np.maximum.reduceat(c.high, starts)),
        "cl": _series(c.close[ends]),
        "ef": _series(sig.ema_fast[ends]),
        "es": _series(sig.ema_slow[ends]),
        "eq": _series(result.equity[ends]),
        "hold": _series(hold[ends]),
        "m": markers,
        "legend": _price_legend(result),
        "elegend": _EQUITY_LEGEND,
    }


def _embedded_json(data: dict[str, object]) -> str:
    # Inside <script>, "</" would end the element early.
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


_CONTROLS = (
    '<p id="bt-controls" hidden><button id="bt-in" type="button">zoom in</button> '
    '<button id="bt-out" type="button">zoom out</button> '
    '<button id="bt-all" type="button">all</button> '
    '<input id="bt-pos" type="range" min="0" value="0" aria-label="position"> '
    '<span id="bt-range"></span><br><small>wheel to zoom, drag to pan</small></p>'
)

_STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1040px}
pre{background:#f6f6f6;padding:12px}
svg{width:100%;height:auto;background:#fff;border:1px solid #ddd}
.grid{stroke:#eee}.yl{font-size:10px;text-anchor:end;fill:#666}
.xl{font-size:10px;text-anchor:middle;fill:#666}
.band{fill:#dbe4f0;stroke:none}.close{fill:none;stroke:#345;stroke-width:1}
.fast{fill:none;stroke:#e08a00;stroke-width:1.2}.slow{fill:none;stroke:#7a3cc8;stroke-width:1.2}
.buy{fill:#1a9e3f}.sell{fill:#d0312d}.equity{fill:none;stroke:#1a6fd0;stroke-width:1.5}
.hold{fill:none;stroke:#999;stroke-dasharray:4 3}.lg{font-size:12px}
.tclose{fill:#345}.tfast{fill:#e08a00}.tslow{fill:#7a3cc8}.tbuy{fill:#1a9e3f}.tsell{fill:#d0312d}
.tequity{fill:#1a6fd0}.thold{fill:#999}
table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
"""


def render_html(result: BacktestResult, title: str = "Backtest") -> str:
    """The whole report as one HTML document."""
    rows = []
    for t in result.trades[:MAX_TABLE_ROWS]:
        cells = [
            f"{t.entry_time:%Y-%m-%d %H:%M}",
            f"{t.exit_time:%Y-%m-%d %H:%M}",
            f"{t.entry_price:.8g}",
            f"{t.exit_price:.8g}",
            f"{t.quantity:.8g}",
            f"{t.pnl:,.2f}",
            f"{t.return_perc:.2f}%",
            t.entry_reason.value,
            t.exit_reason.value,
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    more = len(result.trades) - MAX_TABLE_ROWS
    note = f"<p>{more} more trades in trades.csv</p>" if more > 0 else ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("entry", "exit", "entry price", "exit price", "qty", "pnl", "return", "in", "out")
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<pre>{html.escape(summary_text(result, title))}</pre>"
        f'<h2>Price</h2>{_CONTROLS}<div id="bt-price">{price_svg(result)}</div>'
        f'<h2>Equity</h2><div id="bt-equity">{equity_svg(result)}</div>'
        f"<h2>Trades</h2><table><tr>{head}</tr>{''.join(rows)}</table>{note}"
        f'<script type="application/json" id="bt-data">{_embedded_json(chart_data(result))}'
        f"</script><script>{SCRIPT}</script></body></html>"
    )


def write_outputs(result: BacktestResult, out_dir: Path, title: str = "Backtest") -> list[Path]:
    """Write trades.csv and report.html into `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    trades, report = out_dir / "trades.csv", out_dir / "report.html"
    write_trades_csv(result.trades, trades)
    report.write_text(render_html(result, title), encoding="utf-8")
    return [trades, report]
