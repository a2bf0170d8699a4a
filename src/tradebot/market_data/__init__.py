"""Shared market data: the Redis cache (candles, prices, funding, open interest), the
request-weight governor, and the collector that keeps watched markets warm."""

from tradebot.market_data.cache import MarketData
from tradebot.market_data.governor import WeightGovernor

__all__ = ["MarketData", "WeightGovernor"]
