"""One event loop and one engine context per worker process, made after the fork."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

from tradebot.config import get_settings
from tradebot.engine.context import EngineContext
from tradebot.logging_setup import setup

T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None
_ctx: EngineContext | None = None


def context() -> EngineContext:
    """This process's engine context, created on first use (after the fork)."""
    global _ctx
    if _ctx is None:
        settings = get_settings()
        setup(settings.log_level, "json" if settings.log_json else "console")
        _ctx = EngineContext.create(settings)
        # Modules and settings live as long as the process: spare them the collector's passes.
        gc.collect()
        gc.freeze()
    return _ctx


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on this process's loop (never `asyncio.run` per task).

    When the task is interrupted (Celery's soft time limit raises inside the loop), the
    coroutine is cancelled and drained before the exception goes on: nothing of an abandoned
    cycle may keep running, unsupervised, inside the next task on this loop.
    """
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    task = _loop.create_task(coro)
    try:
        return _loop.run_until_complete(task)
    except BaseException:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                _loop.run_until_complete(task)
        raise


def shutdown() -> None:
    global _ctx, _loop
    if _loop is not None and not _loop.is_closed():
        if _ctx is not None:
            _loop.run_until_complete(_ctx.close())
        _loop.close()
    _ctx, _loop = None, None
