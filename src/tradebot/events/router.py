"""Live bot status over Server-Sent Events (browser `EventSource` friendly)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette.sse import EventSourceResponse

from tradebot.bots import repository, service
from tradebot.deps import ContextDep, StreamIdentity
from tradebot.errors import NotFound, Unauthorized, responses
from tradebot.events.stream import StatusStream, open_stream
from tradebot.schemas import DbId

router = APIRouter(prefix="/bots", tags=["status"], responses=responses(Unauthorized))
STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `snapshot` (every watched bot's state), then "
        "`state` and `deleted` per change, `end` when the token is revoked or expires; "
        "`: ping` comments keep it open. Reconnect with `Last-Event-ID` to resume.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# No length or format limit here: an id the stream cannot resume from (malformed, unknown,
# future) is answered with a fresh snapshot, never an error, as a reconnecting browser needs.
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]
LastEventQuery = Annotated[str | None, Query(alias="last_event_id")]


def _response(request: Request, stream: StatusStream) -> EventSourceResponse:
    # Heartbeat comments keep idle connections open through proxies.
    ping = stream.ctx.settings.sse_ping_seconds
    return EventSourceResponse(open_stream(stream), ping=ping, headers=HEADERS)


@router.get("/status-stream", response_class=EventSourceResponse, responses=STREAM)
async def all_bots(
    request: Request,
    identity: StreamIdentity,
    ctx: ContextDep,
    last_event_id: LastEventId = None,
    last_event_id_query: LastEventQuery = None,
) -> EventSourceResponse:
    """Every bot of the caller: a `snapshot` event, then a `state` event per change."""
    async with ctx.sessions() as session:
        bots = await repository.list_for(session, identity.user.id)
    stream = StatusStream(
        ctx,
        request.app.state.hub,
        bots,
        identity.user.id,
        identity.claims,
        last_event_id=last_event_id or last_event_id_query,
    )
    return _response(request, stream)


@router.get(
    "/{bot_id}/status-stream",
    response_class=EventSourceResponse,
    responses={**STREAM, **responses(NotFound)},
)
async def one_bot(
    bot_id: DbId,
    request: Request,
    identity: StreamIdentity,
    ctx: ContextDep,
    last_event_id: LastEventId = None,
    last_event_id_query: LastEventQuery = None,
) -> EventSourceResponse:
    """One bot of the caller (404 for anyone else's): a snapshot, then its changes."""
    async with ctx.sessions() as session:
        bot = await service.get(session, identity.user.id, bot_id)
    stream = StatusStream(
        ctx,
        request.app.state.hub,
        [bot],
        identity.user.id,
        identity.claims,
        bot_id=bot_id,
        last_event_id=last_event_id or last_event_id_query,
    )
    return _response(request, stream)
