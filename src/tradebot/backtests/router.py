from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tradebot.backtests import service
from tradebot.backtests.schemas import BacktestCreate, BacktestDetailOut, BacktestPage
from tradebot.deps import CurrentUser, EngineContextDep, SessionDep
from tradebot.errors import Conflict, NotFound, Unauthorized, responses
from tradebot.models import Backtest
from tradebot.schemas import DbId

router = APIRouter(prefix="/backtests", tags=["backtests"], responses=responses(Unauthorized))
Limit = Annotated[int, Query(ge=1, le=100)]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BacktestDetailOut,
    responses=responses(NotFound, Conflict),  # bot_id not the caller's; too many active jobs
)
async def create(
    body: BacktestCreate, user: CurrentUser, session: SessionDep, ctx: EngineContextDep
) -> Backtest:
    """Queue a backtest job for the workers; follow it by `GET /backtests/{id}` or by the
    `backtest` events of the status stream."""
    return await service.create(ctx, session, user.id, body)


@router.get("", response_model=BacktestPage)
async def history(
    user: CurrentUser,
    session: SessionDep,
    limit: Limit = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> BacktestPage:
    """The caller's backtests, newest first, without their reports; pass `next_cursor`
    back as `cursor` (or page by `offset`)."""
    return await service.page(session, user.id, limit=limit, offset=offset, cursor=cursor)


@router.get("/{backtest_id}", response_model=BacktestDetailOut, responses=responses(NotFound))
async def get_backtest(backtest_id: DbId, user: CurrentUser, session: SessionDep) -> Backtest:
    """One job: status, progress, and once done its report."""
    return await service.get(session, user.id, backtest_id)


@router.get(
    "/{backtest_id}/trades.csv",
    response_class=Response,  # errors stay JSON (a CSV response class would document them so)
    responses={
        200: {
            "description": "One row per round trip (the columns of the CLI's trades.csv)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **responses(NotFound, Conflict),
    },
)
async def trades_csv(backtest_id: DbId, user: CurrentUser, session: SessionDep) -> Response:
    """A finished job's trades as CSV (409 until it is done)."""
    body = await service.csv_of(session, user.id, backtest_id)
    disposition = f'attachment; filename="backtest-{backtest_id}-trades.csv"'
    return Response(body, media_type="text/csv", headers={"Content-Disposition": disposition})


@router.delete(
    "/{backtest_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(NotFound, Conflict),
)
async def delete(
    backtest_id: DbId, user: CurrentUser, session: SessionDep, ctx: EngineContextDep
) -> Response:
    """Cancel a queued or running job (kept in the history as cancelled), or delete a
    finished one."""
    await service.delete(ctx, session, user.id, backtest_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
