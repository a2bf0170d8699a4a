"""Redis client factory and key naming (one prefix per installation)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

from tradebot.config import Settings


def make_redis(settings: Settings) -> Redis:
    """An asyncio Redis client for the configured URL (tcp or unix socket)."""
    settings.require_urls()
    assert settings.redis_url is not None
    # A bounded pool that makes callers wait for a free connection under bursts (thousands
    # of streams opening at once) instead of failing them.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_pool_size,
        timeout=10,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)


class Keys:
    """Every Redis key the platform uses, under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def login_failures(self, kind: str, value: str) -> str:
        return f"{self.prefix}login-fail:{kind}:{value}"

    def revoked_token(self, jti: str) -> str:
        return f"{self.prefix}revoked:{jti}"

    def events_stream(self, user_id: int) -> str:
        return f"{self.prefix}events:stream:{user_id}"

    def events_channel(self, user_id: int) -> str:
        return f"{self.prefix}events:user:{user_id}"

    def last_event(self, key: str) -> str:
        return f"{self.prefix}events:last:{key}"

    @property
    def telegram_bot_username(self) -> str:
        return f"{self.prefix}telegram:bot-username"

    @property
    def events_control(self) -> str:
        return f"{self.prefix}events:control"

    @property
    def events_pattern(self) -> str:
        return f"{self.prefix}events:user:*"
