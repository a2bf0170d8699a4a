"""Shared market data: a Redis cache of candles and tickers, and the request-weight governor."""

from tradebot.market_data.cache import MarketData
from tradebot.market_data.governor import WeightGovernor

__all__ = ["MarketData", "WeightGovernor"]
