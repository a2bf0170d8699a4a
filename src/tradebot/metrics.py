"""Prometheus metrics of every process: API workers, Celery prefork children, the bot.

With PROMETHEUS_MULTIPROC_DIR set (`tradebot up` sets it under the data directory and wipes
it at start; set it per host in production), every process writes its samples there and
`/metrics` on the API (or a worker's `--metrics-port`) reports them all; without it, each
process reports its own. It must be in the environment before this module is imported.

Labels are bounded: outcomes, statuses, reasons, route templates, command names, queue
kinds — never a user, a bot or a symbol.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):
    # A process started by hand with the variable set must not fail its first metric write.
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)
# Seconds: cycles take milliseconds to seconds; lateness up to the minutes of a backlog.
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LATE = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)

# --- the engine ---------------------------------------------------------------------------
CYCLES = Counter("tradebot_cycles", "Bot cycles by outcome", ["outcome"])
CYCLE_SECONDS = Histogram(
    "tradebot_cycle_duration_seconds", "One bot's cycle, claim to commit", buckets=_FAST
)
CYCLE_LATENESS = Histogram(
    "tradebot_cycle_lateness_seconds",
    "How long after a bot was due its cycle's write committed",
    buckets=_LATE,
)
BOTS = Gauge("tradebot_bots", "Bots by status", ["status"], multiprocess_mode="mostrecent")
ORDERS = Counter("tradebot_orders", "Orders sent by bots, by result", ["result"])
TRADES = Counter("tradebot_trades", "Trades recorded, by side", ["side"])
AUTO_STOPS = Counter("tradebot_auto_stops", "Bots stopped by a daily limit, by reason", ["reason"])

# --- exchanges ----------------------------------------------------------------------------
EXCHANGE_REQUESTS = Counter(
    "tradebot_exchange_requests", "Exchange requests by endpoint and result", ["endpoint", "status"]
)
EXCHANGE_LIMITED = Counter(
    "tradebot_exchange_rate_limited", "Exchange 429 and 418 answers", ["code"]
)
WEIGHT_USED = Gauge(
    "tradebot_exchange_weight_used",
    "Request weight used in the current minute",
    ["budget"],
    multiprocess_mode="mostrecent",
)
WEIGHT_LIMIT = Gauge(
    "tradebot_exchange_weight_limit",
    "Request weight allowed per minute",
    ["budget"],
    multiprocess_mode="mostrecent",
)
GOVERNOR_WAITS = Histogram(
    "tradebot_governor_wait_seconds", "Time spent waiting for the weight budget", buckets=_FAST
)
CACHE = Counter(
    "tradebot_market_cache", "Market-data cache reads by kind and result", ["kind", "result"]
)

# --- the API ------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "tradebot_http_requests",
    "API requests by route template and status",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "tradebot_http_request_duration_seconds", "API request latency", ["route"], buckets=_FAST
)
SSE_STREAMS = Gauge("tradebot_sse_streams", "Open status streams", multiprocess_mode="livesum")
SSE_EVENTS = Counter("tradebot_sse_events", "Status events to streams, by result", ["result"])
LOGIN_FAILURES = Counter("tradebot_login_failures", "Failed sign-ins")
LOGIN_LOCKOUTS = Counter("tradebot_login_lockouts", "Sign-ins refused by the lockout")

# --- Telegram -----------------------------------------------------------------------------
TELEGRAM_COMMANDS = Counter(
    "tradebot_telegram_commands", "Chat commands by name and outcome", ["command", "outcome"]
)
NOTIFICATIONS = Counter("tradebot_notifications", "Notifications by outcome", ["outcome"])
ALARMS_FIRED = Counter("tradebot_alarms_fired", "Alarm crossings told")

# --- Celery -------------------------------------------------------------------------------
QUEUE_DEPTH = Gauge(
    "tradebot_queue_depth", "Messages waiting per queue", ["queue"], multiprocess_mode="mostrecent"
)
HEARTBEAT = Gauge(
    "tradebot_heartbeat_timestamp_seconds",
    "When each component last showed it is alive (epoch seconds)",
    ["component"],
    multiprocess_mode="max",
)


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def prepare_dir(path: Path) -> None:
    """An empty multiprocess directory (stale files of dead processes would count)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def registry() -> CollectorRegistry:
    """Every process's samples in multiprocess mode, else this process's."""
    if multiprocess_dir() is None:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
    return collected


def render() -> tuple[bytes, str]:
    """The text exposition format and its content type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Drop a dead process's live gauges (Celery children, API workers)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
