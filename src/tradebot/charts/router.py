from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from tradebot.bots.schemas import Period, Timeframe
from tradebot.charts import service
from tradebot.charts.schemas import BotChartOut, ChartOut, PeriodsOut
from tradebot.deps import CurrentUser, EngineContextDep, SessionDep
from tradebot.errors import (
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    responses,
)
from tradebot.schemas import DbId

router = APIRouter(tags=["charts"], responses=responses(Unauthorized, TooManyRequests, Unavailable))
Limit = Annotated[
    int, Query(ge=1, le=service.MAX_CANDLES, description="closed candles, newest last")
]
Symbol = Annotated[str, Query(pattern=r"^[A-Za-z0-9]{2,15}/[A-Za-z0-9]{2,15}$")]


@router.get("/bots/{bot_id}/chart", response_model=BotChartOut, responses=responses(NotFound))
async def bot_chart(
    bot_id: DbId, user: CurrentUser, session: SessionDep, ctx: EngineContextDep, limit: Limit = 300
) -> BotChartOut:
    """The bot's market: closed candles, its EMAs and RSI, its trades and open levels."""
    return await service.bot_chart(ctx, session, user.id, bot_id, limit)


@router.get("/markets/chart", response_model=ChartOut)
async def market_chart(
    user: CurrentUser,
    ctx: EngineContextDep,
    symbol: Symbol,
    timeframe: Timeframe,
    source: Literal["demo", "binance"] = "demo",
    limit: Limit = 300,
    ema_fast: Annotated[Period, Query()] = 9,
    ema_slow: Annotated[Period, Query()] = 21,
    rsi_period: Annotated[Period, Query()] = 14,
) -> ChartOut:
    """Any market's closed candles with EMAs and RSI of the given periods."""
    periods = PeriodsOut(ema_fast=ema_fast, ema_slow=ema_slow, rsi_period=rsi_period)
    return await service.market_chart(
        ctx,
        symbol=symbol.upper(),
        timeframe=timeframe,
        source=source,
        limit=limit,
        periods=periods,
    )
