"""Per-process engine resources on top of the app context: market data, exchanges, events."""

from __future__ import annotations

from dataclasses import dataclass

from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.exchanges import Exchanges
from tradebot.market_data.cache import MarketData
from tradebot.market_data.governor import WeightGovernor, exchange_budget


@dataclass
class EngineContext(AppContext):
    market_data: MarketData
    governor: WeightGovernor  # live Binance's budget (testnet has its own, in `exchanges`)
    exchanges: Exchanges

    @classmethod
    def create(cls, settings: Settings, role: str = "worker") -> EngineContext:
        base = AppContext.create(settings, role=role)
        budgets = {
            sandbox: exchange_budget(base.redis, settings, sandbox=sandbox)
            for sandbox in (False, True)
        }
        governor = budgets[False]
        return cls(
            **vars(base),
            market_data=MarketData(
                base.redis, prefix=settings.redis_key_prefix, ticker_ttl=settings.ticker_ttl
            ),
            governor=governor,
            exchanges=Exchanges(settings, budgets),
        )

    async def close(self) -> None:
        await self.exchanges.close()
        await super().close()
