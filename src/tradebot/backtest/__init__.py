"""Backtests: candles -> the same strategy and fill model as live bots -> metrics and reports."""

from tradebot.backtest.engine import BacktestResult, run_backtest
from tradebot.backtest.ledger import BacktestTrade
from tradebot.backtest.metrics import Metrics

__all__ = ["BacktestResult", "BacktestTrade", "Metrics", "run_backtest"]
