from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from tradebot.api_keys import repository, service
from tradebot.api_keys.schemas import ApiKeyIn, ApiKeyOut, ApiKeyValidation, KeyStatus
from tradebot.deps import ContextDep, CurrentUser, SessionDep
from tradebot.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    exchange_errors,
    responses,
)
from tradebot.models import ApiKey
from tradebot.schemas import DbId

router = APIRouter(prefix="/api-keys", tags=["api-keys"], responses=responses(Unauthorized))


def _status(key: ApiKey) -> KeyStatus:
    if key.is_valid:
        return "valid"
    return "unchecked" if key.refused_reason is None else "refused"


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        label=key.label,
        api_key_masked=service.masked(key),
        is_valid=key.is_valid,
        status=_status(key),
        refused_reason=None if key.is_valid else key.refused_reason,
        created_at=key.created_at,
        updated_at=key.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyOut)
async def create(
    body: ApiKeyIn, user: CurrentUser, ctx: ContextDep, session: SessionDep
) -> ApiKeyOut:
    """Store an exchange key pair, encrypted; the answer shows only its last four characters."""
    key = await service.create(
        session,
        ctx.box,
        user.id,
        body.label,
        body.api_key.get_secret_value(),
        body.secret_key.get_secret_value(),
    )
    return _out(key)


@router.get("", response_model=list[ApiKeyOut])
async def list_keys(user: CurrentUser, session: SessionDep) -> list[ApiKeyOut]:
    """The caller's keys, masked."""
    return [_out(k) for k in await repository.list_for(session, user.id)]


@router.get("/{key_id}", response_model=ApiKeyOut, responses=responses(NotFound))
async def get_key(key_id: DbId, user: CurrentUser, session: SessionDep) -> ApiKeyOut:
    """One key, masked."""
    return _out(await service.get(session, user.id, key_id))


@router.post(
    "/{key_id}/validate",
    response_model=ApiKeyValidation,
    responses=responses(NotFound, TooManyRequests, Unavailable),
)
async def validate(
    key_id: DbId,
    user: CurrentUser,
    ctx: ContextDep,
    session: SessionDep,
    mode: Annotated[
        Literal["live", "testnet"], Query(description="Which Binance the key is for")
    ] = "live",
) -> ApiKeyValidation | JSONResponse:
    """Check the key against the exchange (a balance call) and record whether it works."""
    with exchange_errors():
        key, result = await service.validate(ctx, session, user.id, key_id, mode)
    if not result.valid:
        # A plain response, not an exception: the key's new `is_valid` is committed.
        return JSONResponse(
            {
                "error": "invalid_api_key",
                "detail": f"the exchange refused this key: {result.reason}",
                "errors": [{"field": "api_key", "reason": "refused by the exchange"}],
            },
            status_code=422,
        )
    return ApiKeyValidation(key=_out(key), valid=True, balances=result.balances)


@router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(NotFound, Conflict)
)
async def delete(key_id: DbId, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a key (refused while an active bot trades with it)."""
    await service.delete(session, user.id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
