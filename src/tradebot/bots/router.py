from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from tradebot.bots import service
from tradebot.bots.schemas import BotCreate, BotErrorPage, BotOut, BotUpdate
from tradebot.deps import ContextDep, CurrentUser, SessionDep
from tradebot.errors import Conflict, NotFound, Unauthorized, responses
from tradebot.models import BotConfig
from tradebot.schemas import DbId

router = APIRouter(prefix="/bots", tags=["bots"], responses=responses(Unauthorized))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BotOut,
    responses=responses(NotFound),  # the api_key_id given is not the caller's
)
async def create(
    body: BotCreate, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> BotConfig:
    """Create a bot (stopped)."""
    return await service.create(ctx, session, user.id, body)


@router.get("", response_model=list[BotOut])
async def list_bots(user: CurrentUser, session: SessionDep) -> Sequence[BotConfig]:
    """The caller's bots with their state."""
    return await service.list_bots(session, user.id)


@router.get("/{bot_id}", response_model=BotOut, responses=responses(NotFound))
async def get_bot(bot_id: DbId, user: CurrentUser, session: SessionDep) -> BotConfig:
    """One bot: config and state."""
    return await service.get(session, user.id, bot_id)


@router.get("/{bot_id}/errors", response_model=BotErrorPage, responses=responses(NotFound))
async def bot_errors(
    bot_id: DbId,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> BotErrorPage:
    """The bot's failed cycles, newest first (the latest 200 are kept); pass `next_cursor`
    back as `cursor` for more."""
    return await service.errors(session, user.id, bot_id, limit=limit, cursor=cursor)


@router.patch("/{bot_id}", response_model=BotOut, responses=responses(NotFound, Conflict))
async def update(
    bot_id: DbId, body: BotUpdate, user: CurrentUser, session: SessionDep, ctx: ContextDep
) -> BotConfig:
    """Change some fields of a bot."""
    return await service.update(ctx, session, user.id, bot_id, body)


@router.delete(
    "/{bot_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound, Conflict)
)
async def delete(bot_id: DbId, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> Response:
    """Delete a stopped bot; its trades are kept."""
    await service.delete(ctx, session, user.id, bot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{bot_id}/start", response_model=BotOut, responses=responses(NotFound))
async def start(
    bot_id: DbId,
    user: CurrentUser,
    session: SessionDep,
    ctx: ContextDep,
    background: BackgroundTasks,
) -> BotConfig:
    """Start a bot: its first cycle is enqueued at once, then it runs every interval."""
    bot = await service.start(ctx, session, user.id, bot_id)
    # After the commit (which precedes the response), so the cycle finds the bot running.
    background.add_task(ctx.tasks.send_cycle, bot.id)
    return bot


@router.post("/{bot_id}/stop", response_model=BotOut, responses=responses(NotFound))
async def stop(bot_id: DbId, user: CurrentUser, session: SessionDep, ctx: ContextDep) -> BotConfig:
    """Stop a bot."""
    return await service.stop(ctx, session, user.id, bot_id)
