"""Outgoing-message limits: PTB's AIORateLimiter plus a rate per private chat."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]
# Past this many idle per-chat limiters, the idle ones are dropped (as PTB does for groups).
_PRUNE_AT = 512


class ChatRateLimiter(AIORateLimiter):
    """PTB's limiter (overall rate, per-group rate, waiting out `RetryAfter` and resending)
    with Telegram's ~1 message a second to one private chat, which PTB leaves out: a burst
    of notifications to one user queues instead of drawing a 429."""

    def __init__(
        self, *, overall: float, per_chat: float, group_per_minute: float, max_retries: int
    ) -> None:
        super().__init__(
            # Evenly spaced, never a burst: `overall` a second at any moment, not `overall`
            # at once and then that rate (a burst drains Telegram's allowance, and the
            # jitter of the requests that follow draws 429s).
            overall_max_rate=1,
            overall_time_period=1 / overall,
            group_max_rate=group_per_minute,
            group_time_period=60,
            max_retries=max_retries,
        )
        self._chat_period = 1 / per_chat
        self._chats: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._chats) > _PRUNE_AT:
            for key, limiter in list(self._chats.items()):
                if key != chat_id and limiter.has_capacity(limiter.max_rate):
                    del self._chats[key]
        if chat_id not in self._chats:
            self._chats[chat_id] = AsyncLimiter(1, self._chat_period)
        return self._chats[chat_id]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id: object = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[call-overload]
        # Private chats have positive ids; groups and channels are PTB's per-group limit.
        if not isinstance(chat_id, int) or chat_id < 0:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self._chat_limiter(chat_id):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
