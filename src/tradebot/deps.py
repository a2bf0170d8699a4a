"""FastAPI dependencies, defined once as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.errors import Unauthorized
from tradebot.models import User

COOKIE_NAME = "tradebot_session"


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with transaction(ctx.sessions) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def request_token(request: Request) -> str | None:
    """The bearer token from the Authorization header, else the login cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME)


async def current_user(request: Request, ctx: ContextDep, session: SessionDep) -> User:
    """The authenticated, active user; 401 otherwise."""
    from tradebot.auth.service import authenticate_token

    token = request_token(request)
    if token is None:
        raise Unauthorized("not authenticated", headers={"WWW-Authenticate": "Bearer"})
    user = await authenticate_token(ctx, session, token)
    if user is None:
        raise Unauthorized("invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
