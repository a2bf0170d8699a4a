"""Per-process engine resources on top of the app context: market data, exchanges, events."""

from __future__ import annotations

from dataclasses import dataclass

from tradebot.config import Settings
from tradebot.context import AppContext
from tradebot.engine.exchanges import Exchanges
from tradebot.events.publisher import EventPublisher
from tradebot.market_data.cache import MarketData
from tradebot.market_data.governor import WeightGovernor


@dataclass
class EngineContext(AppContext):
    market_data: MarketData
    governor: WeightGovernor
    exchanges: Exchanges
    publisher: EventPublisher

    @classmethod
    def create(cls, settings: Settings, role: str = "worker") -> EngineContext:
        base = AppContext.create(settings, role=role)
        governor = WeightGovernor(
            base.redis, prefix=settings.redis_key_prefix, limit=settings.weight_per_minute
        )
        return cls(
            **vars(base),
            market_data=MarketData(
                base.redis, prefix=settings.redis_key_prefix, ticker_ttl=settings.ticker_ttl
            ),
            governor=governor,
            exchanges=Exchanges(settings, governor),
            publisher=EventPublisher(base.redis, base.keys),
        )

    async def close(self) -> None:
        await self.exchanges.close()
        await super().close()
