"""tradebot: a self-hosted, multi-user crypto trading-bot platform."""

__version__ = "0.1.0"
