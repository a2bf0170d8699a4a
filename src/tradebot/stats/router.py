from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from tradebot.deps import CurrentUser, SessionDep
from tradebot.errors import NotFound, Unauthorized, responses
from tradebot.schemas import DbId
from tradebot.stats import service
from tradebot.stats.schemas import StatsOut

router = APIRouter(tags=["stats"], responses=responses(Unauthorized))


@router.get("/stats", response_model=StatsOut, responses=responses(NotFound))
async def stats(
    user: CurrentUser,
    session: SessionDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="default: 30 days before `to`")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default: now")] = None,
    bot_id: DbId | None = None,
) -> StatsOut:
    """Realised P&L, fees, trades, wins and losses per bot and per UTC day for a range, plus
    today's and all-time totals (ISO times; UTC unless they say otherwise)."""
    return await service.stats(session, user.id, start=start, end=end, bot_id=bot_id)
