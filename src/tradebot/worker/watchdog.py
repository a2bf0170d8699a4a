"""Exit a worker whose consumer has silently stopped, so its supervisor starts a fresh one.

After a broker restart, Celery's Redis consumer can stay alive without consuming again (a
known Celery/kombu failure). The watchdog notices messages waiting in the worker's queues
while nothing has been received for a while, and ends the process: `tradebot up` (or systemd,
Kubernetes, ...) restarts it, and the new consumer drains the queues.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from celery.signals import task_received, worker_ready
from redis import Redis
from redis.exceptions import RedisError

from tradebot.config import Settings, get_settings
from tradebot.worker.factory import BACKTEST_HARD_MARGIN, queue_name

log = logging.getLogger(__name__)
CHECK_EVERY = 5.0
EXIT_CODE = 70
_last_received = time.monotonic()


@task_received.connect
def _received(**_: Any) -> None:
    global _last_received
    _last_received = time.monotonic()


def _waiting(client: Redis, keys: list[str]) -> int:
    return sum(int(client.llen(k)) for k in keys)  # type: ignore[arg-type]


def _watch(stall_seconds: float, queues: list[str]) -> None:
    settings = get_settings()
    url = settings.broker_url
    if not url.startswith(("redis://", "rediss://", "redis+socket://")):
        return  # RabbitMQ consumers recover on their own
    client = Redis.from_url(url.replace("redis+socket://", "unix://"), socket_timeout=5)
    keys = [settings.redis_key_prefix + q for q in queues]
    while True:
        time.sleep(CHECK_EVERY)
        silent = time.monotonic() - _last_received
        if silent < stall_seconds:
            continue
        try:
            waiting = _waiting(client, keys)
        except (RedisError, OSError):
            continue  # the broker itself is away: the consumer is not to blame
        if waiting:
            log.error(
                "worker received nothing for %.0fs while %d messages wait: restarting",
                silent,
                waiting,
            )
            os._exit(EXIT_CODE)


def watched(settings: Settings, queues: list[str]) -> tuple[list[str], float]:
    """The queues a worker watches (those it consumes) and how long it may stay silent:
    never shorter than its longest task may legitimately keep every pool process busy."""
    stall = max(settings.worker_stall_seconds, settings.cycle_time_limit + 5)
    if queue_name(settings, "backtests") in queues:
        stall = max(stall, settings.backtest_time_limit + BACKTEST_HARD_MARGIN + 5)
    return queues, stall


@worker_ready.connect
def _start(sender: Any = None, **_: Any) -> None:
    global _last_received
    _last_received = time.monotonic()
    settings = get_settings()
    consumed = getattr(getattr(sender, "app", None), "amqp", None)
    names = list(consumed.queues.consume_from) if consumed is not None else []
    queues, stall = watched(
        settings, names or [queue_name(settings, k) for k in ("cycles", "dispatch")]
    )
    threading.Thread(
        target=_watch, args=(stall, queues), name="consumer-watchdog", daemon=True
    ).start()
