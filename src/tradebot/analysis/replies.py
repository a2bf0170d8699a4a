"""The market commands' reply texts: compact plain text (no markup to escape), with units
and the age of the data on every reply."""

from __future__ import annotations

from tradebot.analysis import text
from tradebot.analysis.ta import BOLLINGER, MACD_PERIODS, STOCHASTIC, TaReport
from tradebot.core.signals import Reason
from tradebot.core.types import Ticker
from tradebot.exchange.perpetuals import FundingRate, OpenInterest

_REASONS = {
    Reason.GOLDEN_CROSS: "golden cross",
    Reason.RSI_REBOUND: "RSI rebound from oversold",
    Reason.DEATH_CROSS: "death cross",
    Reason.RSI_OVERBOUGHT: "RSI overbought",
    Reason.NO_SIGNAL: "no signal",
    Reason.WARMUP: "warming up",
}


def quote_of(symbol: str) -> str:
    return symbol.partition("/")[2]


def base_of(symbol: str) -> str:
    return symbol.partition("/")[0]


def price_text(symbol: str, label: str, ticker: Ticker, age: float) -> str:
    """`/price`: the last price."""
    return f"{symbol} {text.number(ticker.last)} {quote_of(symbol)}\n{label} · {text.age(age)}"


def _rsi_zone(report: TaReport) -> str:
    cfg = report.config
    if report.rsi >= float(cfg.rsi_overbought):
        return " (overbought)"
    if report.rsi <= float(cfg.rsi_oversold):
        return " (oversold)"
    return ""


def _trend(report: TaReport) -> str:
    if report.ema_fast > report.ema_slow:
        return " (fast above slow)"
    if report.ema_fast < report.ema_slow:
        return " (fast below slow)"
    return ""


def signal_text(report: TaReport) -> str:
    """The strategy's verdict and why, with the settings it used."""
    cfg, signal = report.config, report.signal
    why = ", ".join(_REASONS.get(r, r.value.replace("_", " ")) for r in signal.reasons)
    if Reason.WARMUP in signal.reasons:
        why += f", needs {cfg.warmup_bars} closed candles"
    settings = (
        f"EMA {cfg.ema_fast}/{cfg.ema_slow}, RSI {cfg.rsi_period} "
        f"{cfg.rsi_oversold}/{cfg.rsi_overbought}"
    )
    return f"Signal: {signal.action} ({why}) · strategy {settings}"


def ta_text(symbol: str, timeframe: str, label: str, report: TaReport, price_age: float) -> str:
    """`/ta`: every indicator at the last closed candle and the strategy's signal."""
    cfg, quote, n = report.config, quote_of(symbol), text.number
    closed = text.utc_time(report.close_time) if report.close_time else "none yet"
    fast, slow, signal = MACD_PERIODS
    period, deviations = BOLLINGER
    k, smooth, d = STOCHASTIC
    lines = [
        f"{symbol} · {timeframe} · {label}",
        f"Price {n(report.price)} {quote} ({text.age(price_age)})",
        f"Candles to {closed} ({report.candles} closed)",
        f"EMA {cfg.ema_fast}/{cfg.ema_slow}: {n(report.ema_fast)} / {n(report.ema_slow)}"
        + _trend(report),
        f"RSI {cfg.rsi_period}: {text.fixed(report.rsi)}" + _rsi_zone(report),
        f"MACD {fast}/{slow}/{signal}: {n(report.macd)} · signal {n(report.macd_signal)}"
        f" · hist {text.signed(report.macd_histogram)}",
        f"Bollinger {period}/{deviations:g}: {n(report.bb_lower)} – {n(report.bb_upper)}"
        f" (mid {n(report.bb_middle)})",
        f"ATR 14: {n(report.atr)} {quote} ({text.fixed(report.atr_percent, 2)} %)",
        f"Stochastic {k}/{smooth}/{d}: %K {text.fixed(report.stoch_k)}"
        f" · %D {text.fixed(report.stoch_d)}",
        signal_text(report),
    ]
    return "\n".join(lines)


def chart_caption(
    symbol: str, timeframe: str, label: str, close_time: int | None, price_age: float
) -> str:
    """`/chart`'s caption: what the picture shows and how fresh it is."""
    closed = text.utc_time(close_time) if close_time else "none yet"
    return f"{symbol} · {timeframe} · {label}\nCandles to {closed} · price {text.age(price_age)}"


def funding_text(label: str, funding: FundingRate, age: float, now: float) -> str:
    """`/funding`: the perpetual's funding per period and when it is next paid."""
    quote, n = quote_of(funding.symbol), text.number
    rate = text.signed(funding.rate * 100, decimals=4)
    line = f"Funding {rate} % per period"
    if funding.next_funding is not None:
        at = int(funding.next_funding.timestamp() * 1000)
        wait = text.duration(funding.next_funding.timestamp() - now)
        line += f" (next {text.utc_time(at)}, in {wait})"
    lines = [f"{funding.symbol} perpetual · {label}", line]
    if funding.mark_price is not None:
        prices = f"Mark {n(funding.mark_price)}"
        if funding.index_price is not None:
            prices += f" · index {n(funding.index_price)}"
        lines.append(f"{prices} {quote}")
    lines.append(text.age(age).capitalize())
    return "\n".join(lines)


def open_interest_text(
    label: str, interest: OpenInterest, age: float, price: Ticker | None = None
) -> str:
    """`/oi`: open contracts in base units, and their value in quote."""
    symbol = interest.symbol
    value = interest.value
    if value is None and price is not None:
        value = interest.amount * price.last
    line = f"Open interest {text.number(interest.amount)} {base_of(symbol)}"
    if value is not None:
        line += f" (≈ {text.compact(value)} {quote_of(symbol)})"
    return "\n".join([f"{symbol} perpetual · {label}", line, text.age(age).capitalize()])


def not_available_text(what: str, reason: str) -> str:
    """A clear answer when the venue has no such data ("Funding: not available — ...")."""
    return f"{what}: not available — {reason.rstrip('.')}."
