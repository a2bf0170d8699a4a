"""A scripted market for engine tests: candles and price set by the test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig
from tradebot.core.signals import compute_signals
from tradebot.core.types import MarketRules, Ticker

MINUTE = 60_000
START = 1_767_225_600_000  # 2026-01-01T00:00Z


class ScriptedSource:
    """Closed 1m candles from `closes`, then one forming candle at `price`."""

    def __init__(self, closes: list[float], price: Decimal) -> None:
        self.closes = list(closes)
        self.price = price
        self.fetches = 0

    def rules(self, symbol: str) -> MarketRules:
        base, quote = symbol.split("/")
        return MarketRules(
            symbol, base, quote, Decimal("0.00001"), Decimal("0.01"), Decimal("0.00001"), Decimal(5)
        )

    def now_ms(self) -> int:
        return START + len(self.closes) * MINUTE + 30_000

    async def load_markets(self) -> Mapping[str, MarketRules]:
        return {}

    async def market(self, symbol: str) -> MarketRules:
        return self.rules(symbol)

    async def fetch_candles(self, symbol: str, timeframe: str, limit: int = 500) -> Candles:
        self.fetches += 1
        closes = np.array([*self.closes, float(self.price)])
        opens = np.concatenate([[closes[0]], closes[:-1]])
        times = START + np.arange(len(closes), dtype=np.int64) * MINUTE
        return Candles.from_arrays(
            times, opens, np.maximum(opens, closes), np.minimum(opens, closes), closes
        )[-limit:]

    async def fetch_ticker(self, symbol: str) -> Ticker:
        return Ticker(symbol, self.price, datetime.fromtimestamp(self.now_ms() / 1000, UTC))

    async def close(self) -> None:
        return None

    def advance(self, close: float, price: Decimal | None = None) -> None:
        """One more closed candle; the forming one at `price`."""
        self.closes.append(close)
        self.price = price if price is not None else Decimal(str(close))


# The API's default bot settings (EMA 9/21, RSI 14 at 30/70, stop 2 %, target 4 %).
DEFAULT_CONFIG = StrategyConfig.from_mapping(
    {
        "ema_fast": 9,
        "ema_slow": 21,
        "rsi_period": 14,
        "rsi_oversold": 30,
        "rsi_overbought": 70,
        "stop_loss_perc": "2",
        "take_profit_perc": "4",
    }
)


def golden_cross_closes(config: StrategyConfig = DEFAULT_CONFIG) -> list[float]:
    """Closes whose last candle is a golden cross with RSI below overbought."""
    closes = [100 - 0.2 * i for i in range(80)]
    value = closes[-1]
    for _ in range(200):
        value += 0.15
        closes.append(round(value, 2))
        signals = compute_signals(np.array(closes), config)
        if signals.entry_reason(-1) is not None and signals.golden_cross[-1]:
            return closes
    raise AssertionError("no golden cross found")
