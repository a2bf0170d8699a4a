"""The signed-in user's alarms: the same service as the chat's /alarm commands."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tradebot.alarms import service
from tradebot.alarms.schemas import AlarmIn, AlarmOut
from tradebot.deps import ContextDep, CurrentUser, SessionDep
from tradebot.errors import Conflict, InvalidInput, NotFound, Unauthorized, responses
from tradebot.schemas import DbId

router = APIRouter(prefix="/alarms", tags=["alarms"], responses=responses(Unauthorized))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AlarmOut,
    responses=responses(InvalidInput, Conflict),  # 409: at the per-user limit
)
async def create(
    body: AlarmIn, user: CurrentUser, ctx: ContextDep, session: SessionDep
) -> AlarmOut:
    """A new alarm; told to the linked Telegram chat each time its condition turns true."""
    alarm = await service.create(
        session,
        user.id,
        body,
        default_source=ctx.settings.telegram_market,
        limit=ctx.settings.alarms_per_user,
    )
    return service.out(alarm)


@router.get("", response_model=list[AlarmOut])
async def list_alarms(user: CurrentUser, session: SessionDep) -> list[AlarmOut]:
    """The caller's alarms, oldest first."""
    return [service.out(a) for a in await service.list_alarms(session, user.id)]


@router.get("/{alarm_id}", response_model=AlarmOut, responses=responses(NotFound))
async def get_alarm(alarm_id: DbId, user: CurrentUser, session: SessionDep) -> AlarmOut:
    return service.out(await service.get(session, user.id, alarm_id))


@router.delete("/{alarm_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound))
async def delete_alarm(alarm_id: DbId, user: CurrentUser, session: SessionDep) -> Response:
    await service.delete(session, user.id, alarm_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
