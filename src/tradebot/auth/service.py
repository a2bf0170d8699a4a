"""Registration, login with lockout after repeated failures, token checks, logout."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from tradebot import metrics
from tradebot.context import AppContext
from tradebot.errors import Conflict, TooManyRequests, Unauthorized
from tradebot.events.publisher import EventPublisher
from tradebot.models import User
from tradebot.security import TokenClaims, decode_token, hash_password, issue_token, verify_password
from tradebot.users import repository as users

INVALID_LOGIN = "incorrect email or password"


async def register(session: AsyncSession, email: str, password: str) -> User:
    """A new active user; 409 when the email is taken."""
    if await users.by_email(session, email) is not None:
        raise Conflict("email already registered", field="email")
    # Argon2 takes tens of milliseconds of CPU: off the event loop, so open streams and
    # other requests of this process never wait for it.
    hashed = await run_in_threadpool(hash_password, password)
    try:
        async with session.begin_nested():
            return await users.add(session, email, hashed)
    except IntegrityError:  # a concurrent registration won the race
        raise Conflict("email already registered", field="email") from None


def _email_key(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:32]


async def _lockout(ctx: AppContext, email: str, ip: str) -> int:
    """Seconds until this email or IP may try again, 0 when not locked."""
    s = ctx.settings
    checks = (
        (ctx.keys.login_failures("email", _email_key(email)), s.login_max_failures),
        (ctx.keys.login_failures("ip", ip), s.login_max_failures_per_ip),
    )
    async with ctx.redis.pipeline(transaction=False) as pipe:
        for key, _ in checks:
            pipe.get(key)
            pipe.ttl(key)
        values = await pipe.execute()
    wait = 0
    for i, (_, limit) in enumerate(checks):
        count, ttl = values[2 * i], values[2 * i + 1]
        if count is not None and int(count) >= limit:
            wait = max(wait, ttl if ttl and ttl > 0 else s.login_lockout_seconds)
    return wait


async def _record_failure(ctx: AppContext, email: str, ip: str) -> None:
    """Count a failure; the window starts with the first failure and does not slide.

    `SET NX EX` then `INCR` (which keeps the expiry) works on Redis 6.2 (the embedded
    server) and 7 alike; `EXPIRE ... NX` is Redis 7 only.
    """
    window = ctx.settings.login_lockout_seconds
    async with ctx.redis.pipeline(transaction=True) as pipe:
        for key in (
            ctx.keys.login_failures("email", _email_key(email)),
            ctx.keys.login_failures("ip", ip),
        ):
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        await pipe.execute()


async def login(
    ctx: AppContext, session: AsyncSession, email: str, password: str, ip: str
) -> tuple[str, TokenClaims]:
    """A token for valid credentials; 401 otherwise, 429 after repeated failures."""
    wait = await _lockout(ctx, email, ip)
    if wait:
        metrics.LOGIN_LOCKOUTS.inc()
        raise TooManyRequests(
            "too many failed logins; try again later", headers={"Retry-After": str(wait)}
        )
    user = await users.by_email(session, email)
    ok = await run_in_threadpool(verify_password, user.hashed_password if user else None, password)
    if not ok or user is None or not user.is_active:
        await _record_failure(ctx, email, ip)
        metrics.LOGIN_FAILURES.inc()
        raise Unauthorized(INVALID_LOGIN)
    await ctx.redis.delete(ctx.keys.login_failures("email", _email_key(email)))
    return issue_token(ctx.settings, user.id)


async def authenticate_token(
    ctx: AppContext, session: AsyncSession, token: str
) -> tuple[User, TokenClaims] | None:
    """The active user a valid, unrevoked token belongs to, with the token's claims."""
    claims = decode_token(ctx.settings, token)
    if claims is None or await ctx.redis.exists(ctx.keys.revoked_token(claims.jti)):
        return None
    user = await users.by_id(session, claims.user_id)
    return (user, claims) if user is not None and user.is_active else None


async def logout(ctx: AppContext, token: str | None) -> None:
    """Revoke the token until it would have expired anyway."""
    claims = decode_token(ctx.settings, token) if token else None
    if claims is None:
        return
    ttl = int((claims.expires_at - datetime.now(UTC)).total_seconds()) + 1
    if ttl > 0:
        await ctx.redis.set(ctx.keys.revoked_token(claims.jti), "1", ex=ttl)
    # Open status streams opened with this token end now, in every API process.
    await EventPublisher(ctx.redis, ctx.keys).control({"type": "logout", "jti": claims.jti})


async def deactivate(ctx: AppContext, session: AsyncSession, email: str) -> User | None:
    """Deactivate an account: its bots stop, its tokens stop working, its streams end."""
    from tradebot.bots.service import stop_all

    user = await users.by_email(session, email)
    if user is None:
        return None
    user.is_active = False
    await stop_all(ctx, session, user.id, "user_deactivated")
    await session.flush()
    await EventPublisher(ctx.redis, ctx.keys).control(
        {"type": "user_deactivated", "user_id": user.id}
    )
    return user
