"""Per-process engine resources on top of the app context: market data, exchanges, events."""

from __future__ import annotations

from dataclasses import dataclass

from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.exchanges import Exchanges
from tradebot.market_data.cache import MarketData
from tradebot.market_data.governor import (
    BackgroundBudget,
    WeightGovernor,
    exchange_budget,
    futures_budget,
)


@dataclass
class EngineContext(AppContext):
    market_data: MarketData
    governor: WeightGovernor  # live Binance's budget (testnet has its own, in `exchanges`)
    futures_governor: WeightGovernor  # Binance USDⓈ-M's (funding, open interest)
    exchanges: Exchanges
    # The market-data collector's exchanges: a share of the same budgets that never waits.
    background: Exchanges

    @classmethod
    def create(cls, settings: Settings, role: str = "worker") -> EngineContext:
        base = AppContext.create(settings, role=role)
        budgets = {
            sandbox: exchange_budget(base.redis, settings, sandbox=sandbox)
            for sandbox in (False, True)
        }
        governor = budgets[False]
        futures = futures_budget(base.redis, settings)
        return cls(
            **vars(base),
            market_data=MarketData(
                base.redis, prefix=settings.redis_key_prefix, ticker_ttl=settings.ticker_ttl
            ),
            governor=governor,
            futures_governor=futures,
            exchanges=Exchanges(settings, budgets, futures),
            background=Exchanges(
                settings,
                {sandbox: BackgroundBudget(b) for sandbox, b in budgets.items()},
                BackgroundBudget(futures),
            ),
        )

    async def close(self) -> None:
        await self.exchanges.close()
        await self.background.close()
        await super().close()
