"""The signed-in user's Telegram link: a one-time code, the linked chat, its switches."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tradebot.deps import ContextDep, CurrentUser, SessionDep
from tradebot.errors import InvalidInput, NotFound, Unauthorized, responses
from tradebot.models import TelegramLink
from tradebot.telegram_links import repository, service
from tradebot.telegram_links.schemas import (
    LinkCodeOut,
    LinkedChatOut,
    NotificationSwitches,
    NotificationSwitchesIn,
    TelegramOut,
)

router = APIRouter(prefix="/telegram", tags=["telegram"], responses=responses(Unauthorized))


def _linked(link: TelegramLink | None) -> LinkedChatOut | None:
    if link is None:
        return None
    return LinkedChatOut(
        chat_id=link.chat_id,
        username=link.username,
        linked_at=link.linked_at,
        notifications=NotificationSwitches(**service.switches(link)),
    )


@router.post("/link-code", status_code=status.HTTP_201_CREATED, response_model=LinkCodeOut)
async def link_code(user: CurrentUser, ctx: ContextDep, session: SessionDep) -> LinkCodeOut:
    """A one-time code (10 minutes, replacing any earlier one) to send the bot as
    `/link CODE` in a private chat, or to open as the deep link."""
    issued = await service.issue_code(session, user.id, ctx.settings.telegram_link_code_ttl)
    username = await service.bot_username(ctx)
    return LinkCodeOut(
        code=issued.code,
        expires_at=issued.expires_at,
        deep_link=service.deep_link(username, issued.code),
    )


@router.get("", response_model=TelegramOut)
async def get_telegram(user: CurrentUser, ctx: ContextDep, session: SessionDep) -> TelegramOut:
    """The linked chat (null when none) with its notification switches, and the bot's name."""
    link = await repository.get_for_user(session, user.id)
    return TelegramOut(bot_username=await service.bot_username(ctx), link=_linked(link))


@router.patch("", response_model=TelegramOut, responses=responses(NotFound, InvalidInput))
async def set_switches(
    body: NotificationSwitchesIn, user: CurrentUser, ctx: ContextDep, session: SessionDep
) -> TelegramOut:
    """Turn notification kinds on or off for the linked chat."""
    changes = body.model_dump(exclude_none=True)
    link = await service.set_switches(session, user.id, changes)
    return TelegramOut(bot_username=await service.bot_username(ctx), link=_linked(link))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound))
async def unlink(user: CurrentUser, session: SessionDep) -> Response:
    """Unlink the chat: it gets no notifications and no account commands any more."""
    await service.unlink(session, user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
