from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from tradebot.auth import service
from tradebot.auth.schemas import Credentials, LoginIn, RegisteredOut, TokenOut
from tradebot.deps import COOKIE_NAME, ContextDep, SessionDep, client_ip, request_token
from tradebot.errors import Conflict, TooManyRequests, Unauthorized, responses

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredOut,
    responses=responses(Conflict),
)
async def register(body: Credentials, session: SessionDep) -> RegisteredOut:
    """Create an account."""
    user = await service.register(session, body.email, body.password.get_secret_value())
    return RegisteredOut(id=user.id, email=user.email)


@router.post("/login", response_model=TokenOut, responses=responses(Unauthorized, TooManyRequests))
async def login(
    body: LoginIn, request: Request, response: Response, ctx: ContextDep, session: SessionDep
) -> TokenOut:
    """Exchange credentials for a bearer token; browsers also get an HttpOnly cookie."""
    token, _ = await service.login(
        ctx, session, body.email, body.password.get_secret_value(), client_ip(request)
    )
    max_age = ctx.settings.jwt_ttl_minutes * 60
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age,
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="lax",
        path="/api",
    )
    return TokenOut(access_token=token, expires_in=max_age)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, response: Response, ctx: ContextDep) -> Response:
    """Revoke the current token and clear the cookie."""
    await service.logout(ctx, request_token(request))
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(COOKIE_NAME, path="/api", httponly=True, samesite="lax")
    return response
