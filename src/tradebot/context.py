"""Per-process resources: one engine, one Redis client, the secret box."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tradebot.config import Settings
from tradebot.db import make_engine, make_sessionmaker
from tradebot.events.publisher import EventPublisher
from tradebot.redis_client import Keys, make_redis
from tradebot.security import SecretBox
from tradebot.worker.factory import TaskQueue


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    keys: Keys
    box: SecretBox
    tasks: TaskQueue
    publisher: EventPublisher

    @classmethod
    def create(cls, settings: Settings, role: str = "api") -> AppContext:
        engine = make_engine(settings, role=role)
        redis = make_redis(settings)
        keys = Keys(settings.redis_key_prefix)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            redis=redis,
            keys=keys,
            box=SecretBox.from_settings(settings),
            tasks=TaskQueue(settings),
            publisher=EventPublisher(redis, keys),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
