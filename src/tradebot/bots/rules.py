"""Bot configuration rules that span fields; pure, shared by the API and Telegram."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TIMEFRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
MODES = ("live", "testnet", "paper", "demo")
SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,15}/[A-Z0-9]{2,15}$")
MIN_INTERVAL_SECONDS = 10


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
