"""`tradebot backtest`: run a backtest from a file, the demo market or Binance candles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tradebot.backtest.data import (
    CandleDataError,
    demo_candles,
    download_candles,
    load_file,
    parse_time,
)
from tradebot.backtest.engine import run_backtest
from tradebot.backtest.report import summary_text, write_outputs
from tradebot.core.candles import Candles, timeframe_ms
from tradebot.core.config import DEFAULT_STRATEGY, HUNDRED, StrategyConfig, to_decimal
from tradebot.core.risk import SizingConfig
from tradebot.core.types import MarketRules
from tradebot.exchange.demo_market import symbol_profile

DEFAULT_CACHE = Path.home() / ".cache" / "tradebot" / "candles"


class UsageError(ValueError):
    """Options that do not fit together."""


def _read_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"config file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must hold a JSON object of bot settings")
    return data


def _load_candles(
    *,
    csv: Path | None,
    parquet: Path | None,
    demo: str | None,
    download: str | None,
    timeframe: str,
    start: str | None,
    end: str | None,
    bars: int | None,
    seed: int,
    cache_dir: Path,
) -> tuple[Candles, MarketRules | None, str]:
    sources = [s for s in (csv, parquet, demo, download) if s is not None]
    if len(sources) != 1:
        raise UsageError("give exactly one of --csv, --parquet, --demo SYMBOL, --download SYMBOL")
    path = csv if csv is not None else parquet
    if path is not None:
        candles = load_file(path)
        if start or end:
            lo = 0 if start is None else int(candles.open_time.searchsorted(_ms(start)))
            hi = len(candles) if end is None else int(candles.open_time.searchsorted(_ms(end)))
            candles = candles[lo:hi]
        if bars is not None:
            candles = candles[: max(bars, 0)]
        return candles, None, path.name
    symbol = (demo or download or "").upper()
    timeframe_ms(timeframe)  # validates
    if demo is not None:
        begin = parse_time(start) if start else datetime(2024, 1, 1, tzinfo=UTC)
        if end is None and bars is None:
            bars = 1000
        stop = parse_time(end) if end else None
        candles = demo_candles(symbol, timeframe, begin, end=stop, bars=bars, seed=seed)
        return candles, symbol_profile(symbol, seed).rules, f"demo {symbol} {timeframe}"
    if start is None:
        raise UsageError("--download needs --start")
    stop = parse_time(end) if end else datetime.now(UTC)
    candles = download_candles(symbol, timeframe, parse_time(start), stop, cache_dir)
    if bars is not None:
        candles = candles[: max(bars, 0)]
    return candles, None, f"binance {symbol} {timeframe}"


def _ms(text: str) -> int:
    return int(parse_time(text).timestamp() * 1000)


def backtest(
    config: Annotated[
        Path | None, typer.Option("--config", help="JSON file with the bot's settings")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Candles from a CSV file")] = None,
    parquet: Annotated[
        Path | None, typer.Option("--parquet", help="Candles from a Parquet file")
    ] = None,
    demo: Annotated[
        str | None, typer.Option("--demo", metavar="SYMBOL", help="Candles of the demo market")
    ] = None,
    download: Annotated[
        str | None,
        typer.Option("--download", metavar="SYMBOL", help="Binance candles via ccxt (cached)"),
    ] = None,
    timeframe: Annotated[
        str | None, typer.Option("--timeframe", help="Candle timeframe (default 1h)")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="ISO start date/time (UTC)")] = None,
    end: Annotated[str | None, typer.Option("--end", help="ISO end date/time (UTC)")] = None,
    bars: Annotated[int | None, typer.Option("--bars", help="Number of candles")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Demo market seed")] = 0,
    ema_fast: Annotated[int | None, typer.Option("--ema-fast")] = None,
    ema_slow: Annotated[int | None, typer.Option("--ema-slow")] = None,
    rsi_period: Annotated[int | None, typer.Option("--rsi-period")] = None,
    rsi_oversold: Annotated[float | None, typer.Option("--rsi-oversold")] = None,
    rsi_overbought: Annotated[float | None, typer.Option("--rsi-overbought")] = None,
    stop_loss: Annotated[float | None, typer.Option("--stop-loss", help="Stop loss %")] = None,
    take_profit: Annotated[
        float | None, typer.Option("--take-profit", help="Take profit %")
    ] = None,
    trailing_stop: Annotated[
        float | None, typer.Option("--trailing-stop", help="Trailing stop % (turns it on)")
    ] = None,
    position_size_perc: Annotated[
        float | None, typer.Option("--position-size-perc", help="% of the free balance")
    ] = None,
    position_size_fixed: Annotated[
        float | None, typer.Option("--position-size-fixed", help="Quote amount per trade")
    ] = None,
    max_daily_trades: Annotated[int | None, typer.Option("--max-daily-trades")] = None,
    fee: Annotated[float, typer.Option("--fee", help="Fee per fill in % (0.1 = 0.1 %)")] = 0.1,
    slippage_bps: Annotated[float, typer.Option("--slippage-bps", help="Slippage (bps)")] = 5.0,
    balance: Annotated[float, typer.Option("--balance", help="Initial quote balance")] = 10_000.0,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for trades.csv and report.html")
    ] = None,
    cache_dir: Annotated[
        Path, typer.Option("--cache-dir", help="Where downloaded candles are cached")
    ] = DEFAULT_CACHE,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar")] = False,
) -> None:
    """Backtest the EMA/RSI strategy with the same rules and fills as live bots."""
    try:
        settings = {**DEFAULT_STRATEGY, **_read_config(config)}
        overrides = {
            "ema_fast": ema_fast,
            "ema_slow": ema_slow,
            "rsi_period": rsi_period,
            "rsi_oversold": rsi_oversold,
            "rsi_overbought": rsi_overbought,
            "stop_loss_perc": stop_loss,
            "take_profit_perc": take_profit,
            "trailing_stop_perc": trailing_stop,
            "position_size_perc": position_size_perc,
            "position_size_fixed": position_size_fixed,
            "max_daily_trades": max_daily_trades,
        }
        settings.update({k: v for k, v in overrides.items() if v is not None})
        if trailing_stop is not None:
            settings["trailing_stop_active"] = True
        if position_size_perc is not None:
            settings.pop("position_size_fixed", None)
        elif position_size_fixed is not None:
            settings.pop("position_size_perc", None)
        strategy = StrategyConfig.from_mapping(settings)
        sizing = SizingConfig.from_mapping(settings)
        daily = settings.get("max_daily_trades")
        if daily is not None and (not isinstance(daily, int) or daily < 1):
            raise UsageError(f"max_daily_trades must be a positive integer, got {daily!r}")
        frame = timeframe or str(settings.get("timeframe") or "1h")
        candles, rules, source = _load_candles(
            csv=csv,
            parquet=parquet,
            demo=demo,
            download=download,
            timeframe=frame,
            start=start,
            end=end,
            bars=bars,
            seed=seed,
            cache_dir=cache_dir,
        )
        if len(candles) < 2:
            raise UsageError("need at least 2 candles in the chosen range")
        result = run_backtest(
            strategy,
            candles,
            fee_rate=to_decimal(fee) / HUNDRED,
            slippage_bps=to_decimal(slippage_bps),
            initial_balance=to_decimal(balance),
            market_rules=rules,
            sizing=sizing,
            max_daily_trades=daily,
            progress=False if no_progress else None,
        )
        title = f"Backtest: {source}"
        typer.echo(summary_text(result, title))
        if out is not None:
            for path in write_outputs(result, out, title):
                typer.echo(f"wrote {path}")
    except (UsageError, CandleDataError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
