"""Liveness and readiness, rate limited per client address."""

from __future__ import annotations

import math
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, Field

from tradebot.deps import ContextDep, client_ip
from tradebot.errors import TooManyRequests, responses
from tradebot.system import health as health_checks

_limiter = MovingWindowRateLimiter(MemoryStorage())


def rate_limited(request: Request) -> None:
    """429 with Retry-After once a client exceeds HEALTH_RATE_LIMIT."""
    item = parse(request.app.state.ctx.settings.health_rate_limit)
    ip = client_ip(request)
    if not _limiter.hit(item, "health", ip):
        reset = _limiter.get_window_stats(item, "health", ip).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise TooManyRequests("rate limit exceeded", headers={"Retry-After": str(wait)})


router = APIRouter(
    tags=["system"], dependencies=[Depends(rate_limited)], responses=responses(TooManyRequests)
)


class CheckOut(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str
    age_seconds: float | None = Field(
        None, description="seconds since the part's last heartbeat (worker, beat, telegram)"
    )


class ReadyOut(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckOut]


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the API process answers."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "A part is not answering or is silent"}},
)
async def ready(
    ctx: ContextDep,
    scope: Annotated[
        Literal["all", "api"],
        Query(description="api: only what this API process needs (for a proxy's checks)"),
    ] = "all",
) -> JSONResponse:
    """Readiness: the database, Redis and the broker answer; with `scope=all` also a worker,
    Beat and (when it polls) the Telegram bot have shown they are alive lately."""
    checks = await health_checks.service_checks(ctx)
    if scope == "all":
        checks += await health_checks.job_checks(ctx)
    ok = all(c.ok for c in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {c.name: c.as_json() for c in checks},
    }
    return JSONResponse(body, 200 if ok else 503)
