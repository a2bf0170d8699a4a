"""FastAPI dependencies, defined once as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
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


# Declared as security schemes so the OpenAPI document shows how to authenticate; they only
# read the credentials (auto_error=False): `current_identity` decides, with one 401 shape.
bearer_scheme = HTTPBearer(
    auto_error=False, bearerFormat="JWT", description="`access_token` from /auth/login"
)
cookie_scheme = APIKeyCookie(
    name=COOKIE_NAME, auto_error=False, description="The HttpOnly cookie /auth/login sets"
)


def request_token(request: Request) -> str | None:
    """The bearer token from the Authorization header, else the login cookie."""
    scheme, value = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME)


async def credentials(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    _cookie: Annotated[str | None, Security(cookie_scheme)],
) -> str | None:
    """`request_token`, on an operation that documents both ways of sending it."""
    return request_token(request)


@dataclass(frozen=True)
class Identity:
    """Who is calling, and with which token (streams end when that token is revoked)."""

    user: User
    claims: TokenClaims


async def current_identity(
    ctx: ContextDep, session: SessionDep, token: Annotated[str | None, Depends(credentials)]
) -> Identity:
    """The authenticated, active user and their token's claims; 401 otherwise."""
    from tradebot.auth.service import authenticate_token

    if token is None:
        raise Unauthorized("not authenticated", headers={"WWW-Authenticate": "Bearer"})
    found = await authenticate_token(ctx, session, token)
    if found is None:
        raise Unauthorized("invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return Identity(*found)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


async def stream_identity(
    ctx: ContextDep, token: Annotated[str | None, Depends(credentials)]
) -> Identity:
    """`current_identity` for long-lived responses: its session closes before streaming, so
    an open stream holds no database connection."""
    async with ctx.sessions() as session:
        return await current_identity(ctx, session, token)


StreamIdentity = Annotated[Identity, Depends(stream_identity)]


async def current_user(identity: CurrentIdentity) -> User:
    """The authenticated, active user; 401 otherwise."""
    return identity.user


CurrentUser = Annotated[User, Depends(current_user)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
