"""Per request: an id on every log line and on the response (`X-Request-ID`, the caller's
when it sends a sane one), and counts and latency by route template (`/bots/{bot_id}`),
never by path."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradebot import metrics
from tradebot.logging_setup import bind

UNMATCHED = "unmatched"  # a path no route serves (404s, the dashboard's files)
REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id(scope: Scope) -> str:
    given = dict(scope.get("headers") or []).get(REQUEST_ID)
    return given.decode() if given and _SANE_ID.fullmatch(given) else uuid.uuid4().hex


class RequestMetrics:
    """Counts every HTTP request when its response starts; times those that are not event
    streams (a stream's duration is the client's visit, not a latency)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID, rid.encode())]
                route = _route(scope)
                status = str(message["status"])
                metrics.HTTP_REQUESTS.labels(scope["method"], route, status).inc()
                if not route.endswith("-stream"):
                    metrics.HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)
            await send(message)

        with bind(request_id=rid):
            await self.app(scope, receive, tracking_send)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED
