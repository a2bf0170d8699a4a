"""Markets loaded once per process and shared by every adapter instance.

exchangeInfo costs 20 weight and a few hundred KB; one adapter is built per bot cycle, so
without this every cycle would pay for it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

DEFAULT_TTL = 3600.0

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    markets: Any
    loaded_at: float


_entries: dict[Hashable, _Entry] = {}
# asyncio locks belong to one event loop; a process may run several loops over its life.
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _lock(key: Hashable) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(key, asyncio.Lock())


async def shared_markets(
    key: Hashable,
    load: Callable[[], Awaitable[T]],
    *,
    ttl: float = DEFAULT_TTL,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """The markets for `key`, calling `load` only when none younger than `ttl` are cached."""
    entry = _entries.get(key)
    if entry is not None and clock() - entry.loaded_at < ttl:
        return cast(T, entry.markets)
    async with _lock(key):
        entry = _entries.get(key)  # another caller may have loaded them while we waited
        if entry is not None and clock() - entry.loaded_at < ttl:
            return cast(T, entry.markets)
        markets = await load()
        _entries[key] = _Entry(markets, clock())
        return markets


def forget(key: Hashable | None = None) -> None:
    """Drop cached markets for `key`, or all of them."""
    if key is None:
        _entries.clear()
    else:
        _entries.pop(key, None)
