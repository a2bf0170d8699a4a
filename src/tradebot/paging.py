"""Keyset pages by (timestamp, id) with opaque cursors, for every list the API pages.

A cursor is a position, not a direction: the page after it is older with `order=desc` and
newer with `order=asc`, so one cursor serves both ways.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from tradebot.errors import InvalidInput
from tradebot.schemas import INT32_MAX

Order = Literal["desc", "asc"]
Position = tuple[datetime, int]
Row = TypeVar("Row")


def encode_cursor(ts: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{ts.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The (timestamp, id) position of a cursor; 422 for anything this API never returned,
    including ids and timestamps the database could not compare against."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts, _, rid = raw.partition("|")
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        row_id = int(rid)
        if not 1 <= row_id <= INT32_MAX:
            raise ValueError("id out of range")
        return parsed.astimezone(UTC), row_id
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not a cursor this API returned", field="cursor") from None


def keyset(
    stmt: Select[Any],
    ts: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[int],
    *,
    after: Position | None,
    order: Order = "desc",
) -> Select[Any]:
    """`stmt` ordered by (ts, id) in `order`, from just past the `after` position."""
    key = tuple_(ts, row_id)
    if after is not None:
        stmt = stmt.where(key < tuple_(*after) if order == "desc" else key > tuple_(*after))
    if order == "desc":
        return stmt.order_by(ts.desc(), row_id.desc())
    return stmt.order_by(ts.asc(), row_id.asc())


def cut(
    rows: Sequence[Row], limit: int, position: Callable[[Row], Position]
) -> tuple[Sequence[Row], str | None]:
    """A page of `limit` rows out of `limit + 1` fetched, and the cursor of the next page
    (None when this one is the last)."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(*position(rows[limit - 1]))
