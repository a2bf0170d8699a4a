"""Liveness and readiness, rate limited per client address."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel
from sqlalchemy import text

from tradebot.deps import ContextDep, client_ip
from tradebot.errors import TooManyRequests, responses

_limiter = MovingWindowRateLimiter(MemoryStorage())
CHECK_TIMEOUT = 2.0


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


class ReadyOut(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the API process answers."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "The database or Redis is not answering"}},
)
async def ready(ctx: ContextDep) -> JSONResponse:
    """Readiness: the database and Redis answer within two seconds."""

    async def database() -> None:
        async with ctx.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def redis() -> None:
        await ctx.redis.ping()

    checks: dict[str, Any] = {}
    for name, probe in (("database", database), ("redis", redis)):
        try:
            await asyncio.wait_for(probe(), CHECK_TIMEOUT)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which kind
            checks[name] = f"unavailable ({type(exc).__name__})"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
    )
