"""Beat's heartbeat: written whenever it sends a task (the dispatcher's, every second)."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.signals import before_task_publish
from redis import Redis
from redis.exceptions import RedisError

from tradebot.config import Settings
from tradebot.redis_client import Keys
from tradebot.system.health import HEARTBEAT_TTL, heartbeat_key

log = logging.getLogger(__name__)
EVERY = 1.0  # seconds: at most one write a second


def install(settings: Settings) -> None:
    """In the Beat process only (every process that sends tasks would count as Beat)."""
    client = Redis.from_url(str(settings.redis_url), socket_timeout=2)
    key = heartbeat_key(Keys(settings.redis_key_prefix), "beat")
    last = 0.0

    def sent(**_: Any) -> None:
        nonlocal last
        now = time.time()
        if now - last < EVERY:
            return
        last = now
        try:
            client.set(key, f"{now:.3f}", ex=HEARTBEAT_TTL)
        except RedisError as exc:
            log.warning("beat heartbeat not written (%s)", type(exc).__name__)

    before_task_publish.connect(sent, weak=False)
