"""FastAPI dependencies, defined once as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tradebot.context import AppContext
from tradebot.db import transaction
from tradebot.engine.context import EngineContext
from tradebot.errors import Unauthorized
from tradebot.models import User
from tradebot.security import TokenClaims

COOKIE_NAME = "tradebot_session"


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_engine_context(request: Request) -> EngineContext:
    """The process's context with the shared market data (charts read markets as bots do)."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, EngineContext)
    return ctx


EngineContextDep = Annotated[EngineContext, Depends(get_engine_context)]


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


@dataclass(frozen=True)
class Identity:
    """Who is calling, and with which token (streams end when that token is revoked)."""

    user: User
    claims: TokenClaims


async def current_identity(request: Request, ctx: ContextDep, session: SessionDep) -> Identity:
    """The authenticated, active user and their token's claims; 401 otherwise."""
    from tradebot.auth.service import authenticate_token

    token = request_token(request)
    if token is None:
        raise Unauthorized("not authenticated", headers={"WWW-Authenticate": "Bearer"})
    found = await authenticate_token(ctx, session, token)
    if found is None:
        raise Unauthorized("invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return Identity(*found)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


async def stream_identity(request: Request, ctx: ContextDep) -> Identity:
    """`current_identity` for long-lived responses: its session closes before streaming, so
    an open stream holds no database connection."""
    async with ctx.sessions() as session:
        return await current_identity(request, ctx, session)


StreamIdentity = Annotated[Identity, Depends(stream_identity)]


async def current_user(identity: CurrentIdentity) -> User:
    """The authenticated, active user; 401 otherwise."""
    return identity.user


CurrentUser = Annotated[User, Depends(current_user)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
