"""Bot configuration rules that span fields; pure, shared by the API and Telegram."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TIMEFRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
MODES = ("live", "testnet", "paper", "demo")
SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,15}/[A-Z0-9]{2,15}$")
MIN_INTERVAL_SECONDS = 10
DEFAULT_QUOTE = "USDT"
# Quote currencies recognised in a symbol written without a separator ("ETHBTC"), longest
# first so that "FDUSD" wins over "USD"-like tails.
_QUOTES = ("FDUSD", "USDT", "USDC", "TUSD", "EUR", "TRY", "BRL", "BTC", "ETH", "BNB")


def normalize_symbol(raw: str | None) -> str:
    """ "BTC/USDT" from "btc/usdt", "BTC-USDT", "BTCUSDT" or "btc" (USDT by default), as a
    person types it in a chat; a ValueError with the sentence to show otherwise."""
    if raw is None or not raw.strip():
        raise ValueError("Give a symbol, e.g. BTC/USDT (or BTCUSDT, or just BTC).")
    symbol = raw.strip().upper().replace("-", "/").replace("_", "/")
    if "/" not in symbol:
        quote = next((q for q in _QUOTES if symbol.endswith(q) and len(symbol) > len(q) + 1), None)
        symbol = f"{symbol[: -len(quote)]}/{quote}" if quote else f"{symbol}/{DEFAULT_QUOTE}"
    if not SYMBOL_RE.match(symbol):
        raise ValueError(f"{raw.strip()!r} is not a symbol: use BASE/QUOTE, e.g. BTC/USDT.")
    return symbol


def check_emas(ema_fast: int, ema_slow: int) -> list[dict[str, str]]:
    """The fast EMA must be the shorter one (bots, charts and backtests alike)."""
    if ema_fast >= ema_slow:
        return [{"field": "ema_fast", "reason": f"must be less than ema_slow ({ema_slow})"}]
    return []


def check(cfg: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every cross-field problem of a complete config, as {field, reason}."""
    errors: list[dict[str, str]] = []

    def bad(field: str, reason: str) -> None:
        errors.append({"field": field, "reason": reason})

    errors.extend(check_emas(cfg["ema_fast"], cfg["ema_slow"]))
    if cfg["rsi_oversold"] >= cfg["rsi_overbought"]:
        bad("rsi_oversold", f"must be less than rsi_overbought ({cfg['rsi_overbought']})")
    perc, fixed = cfg.get("position_size_perc"), cfg.get("position_size_fixed")
    if (perc is None) == (fixed is None):
        bad(
            "position_size_perc",
            "set exactly one of position_size_perc and position_size_fixed",
        )
    if cfg.get("trailing_stop_active") and cfg.get("trailing_stop_perc") is None:
        bad("trailing_stop_perc", "required when trailing_stop_active is true")
    if cfg.get("api_key_id") is not None and cfg.get("mode") not in ("live", "testnet"):
        bad("api_key_id", "only live and testnet bots trade with an API key")
    return errors
