from __future__ import annotations

import httpx

from tests.conftest import Api, secret_marker, signup


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
