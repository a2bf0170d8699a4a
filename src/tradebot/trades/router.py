from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tradebot.deps import CurrentUser, SessionDep
from tradebot.errors import NotFound, Unauthorized, responses
from tradebot.paging import Order
from tradebot.schemas import DbId
from tradebot.trades import service
from tradebot.trades.schemas import TradePage

router = APIRouter(tags=["trades"], responses=responses(Unauthorized, NotFound))
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=200)]
TimeOrder = Annotated[
    Order, Query(description="desc: newest first; asc: oldest first (a cursor serves both)")
]


@router.get("/trades", response_model=TradePage)
async def list_trades(
    user: CurrentUser,
    session: SessionDep,
    bot_id: DbId | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    order: TimeOrder = "desc",
) -> TradePage:
    """The caller's trades, newest (or oldest) first; pass `next_cursor` back as `cursor`
    for more."""
    return await service.page(
        session, user.id, bot_id=bot_id, limit=limit, cursor=cursor, order=order
    )


@router.get("/bots/{bot_id}/trades", response_model=TradePage)
async def bot_trades(
    bot_id: DbId,
    user: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    order: TimeOrder = "desc",
) -> TradePage:
    """One bot's trades, newest (or oldest) first."""
    return await service.page(
        session, user.id, bot_id=bot_id, limit=limit, cursor=cursor, order=order
    )
