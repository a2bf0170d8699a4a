"""`GET /metrics`: Prometheus's text format for every process of this host.

Not under the health rate limit (Prometheus scrapes every few seconds); with METRICS_TOKEN
set, only `Authorization: Bearer <METRICS_TOKEN>` may read it. Gauges that describe the
installation rather than a process (bots by status, queue depths, weight used, heartbeats)
are read when scraped.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy import func, select

from tradebot import metrics
from tradebot.deps import ContextDep
from tradebot.engine.context import EngineContext
from tradebot.errors import Unauthorized
from tradebot.models import BotState
from tradebot.system import health

log = logging.getLogger(__name__)
router = APIRouter(tags=["system"])
STATUSES = ("running", "stopped", "error")


async def refresh(ctx: EngineContext) -> None:
    """Set the installation's gauges; a part that cannot answer keeps its last value."""
    try:
        async with ctx.sessions() as session:
            rows = await session.execute(
                select(BotState.status, func.count()).group_by(BotState.status)
            )
            counts: dict[str, int] = {status: n for status, n in rows.all()}
        for status in {*STATUSES, *counts}:
            metrics.BOTS.labels(status).set(counts.get(status, 0))
    except Exception as exc:
        log.warning("metrics: bots by status not read (%s)", type(exc).__name__)
    try:
        for kind, depth in (await health.queue_depths(ctx.settings)).items():
            metrics.QUEUE_DEPTH.labels(kind).set(depth)
    except Exception as exc:
        log.warning("metrics: queue depths not read (%s)", type(exc).__name__)
    try:
        for name, governor in (("spot", ctx.governor), ("futures", ctx.futures_governor)):
            metrics.WEIGHT_USED.labels(name).set(await governor.used())
            metrics.WEIGHT_LIMIT.labels(name).set(governor.budget)
        for component, at in (await health.heartbeats(ctx.redis, ctx.keys)).items():
            if at is not None:
                metrics.HEARTBEAT.labels(component).set(at)
    except Exception as exc:
        log.warning("metrics: Redis figures not read (%s)", type(exc).__name__)


@router.get("/metrics", include_in_schema=False)
async def get_metrics(
    ctx: ContextDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    token = ctx.settings.metrics_token
    if token is not None:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise Unauthorized("a metrics token is required")
    if isinstance(ctx, EngineContext):
        await refresh(ctx)
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
