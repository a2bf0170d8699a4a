"""Hostile input gets a clear 4xx, never a 500: out-of-range integers, NUL and lone
surrogates in strings, forged token claims; and an unexpected failure is a JSON 500 that
leaves the connection usable."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import Request

from tests.conftest import Api, bot_body, secret_marker, serving
from tradebot.app import create_app
from tradebot.config import Settings
from tradebot.paging import encode_cursor

TOO_BIG, TOO_SMALL = 2**31, -(2**31) - 1


@pytest.mark.parametrize("bad", [TOO_BIG, TOO_SMALL, 10**30])
async def test_ids_outside_the_database_range_are_422_naming_the_parameter(
    alice: Api, bad: int
) -> None:
    calls = [
        ("GET", f"/bots/{bad}", "bot_id"),
        ("PATCH", f"/bots/{bad}", "bot_id"),
        ("DELETE", f"/bots/{bad}", "bot_id"),
        ("POST", f"/bots/{bad}/start", "bot_id"),
        ("POST", f"/bots/{bad}/stop", "bot_id"),
        ("GET", f"/bots/{bad}/trades", "bot_id"),
        ("GET", f"/bots/{bad}/status-stream", "bot_id"),
        ("GET", f"/api-keys/{bad}", "key_id"),
        ("POST", f"/api-keys/{bad}/validate", "key_id"),
        ("DELETE", f"/api-keys/{bad}", "key_id"),
        ("GET", f"/trades?bot_id={bad}", "bot_id"),
    ]
    for method, path, field in calls:
        kw: dict[str, Any] = {"json": {"name": "x"}} if method == "PATCH" else {}
        r = await alice.request(method, path, **kw)
        assert r.status_code == 422, (method, path, r.text)
        assert r.json()["error"] == "validation_error"
        assert [e["field"] for e in r.json()["errors"]] == [field], (method, path)
    # the largest id the database can hold is simply not found
    assert (await alice.request("GET", f"/bots/{2**31 - 1}")).status_code == 404


@pytest.mark.parametrize("bad", [TOO_BIG, TOO_SMALL])
async def test_integer_body_fields_outside_the_database_range_are_422(alice: Api, bad: int) -> None:
    r = await alice.request("POST", "/bots", json=bot_body(api_key_id=bad))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "api_key_id"
    bot = await alice.create_bot()
    for field in ("api_key_id", "max_daily_trades", "ema_fast", "check_interval_seconds"):
        r = await alice.request("PATCH", f"/bots/{bot['id']}", json={field: bad})
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["field"] == field


async def test_cursors_this_api_never_returned_are_422(alice: Api) -> None:
    now = datetime.now(UTC)
    bad = [
        encode_cursor(now, 2**31),
        encode_cursor(now, -5),
        encode_cursor(now, 10**40),
        # a timestamp that has no UTC form
        base64.urlsafe_b64encode(b"0001-01-01T00:00:00+05:00|1").decode(),
        "not-a-cursor",
    ]
    for cursor in bad:
        r = await alice.request("GET", "/trades", params={"cursor": cursor})
        assert r.status_code == 422, (cursor, r.text)
        assert r.json()["errors"] == [
            {"field": "cursor", "reason": "not a cursor this API returned"}
        ]


# (method, path template, body, field): every string a client can send in a body
STRING_FIELDS = [
    ("POST", "/auth/register", {"email": "a@example.com", "password": "long password"}, "email"),
    ("POST", "/auth/register", {"email": "a@example.com", "password": "long password"}, "password"),
    ("POST", "/auth/login", {"email": "a@example.com", "password": "long password"}, "email"),
    ("POST", "/auth/login", {"email": "a@example.com", "password": "long password"}, "password"),
    ("POST", "/bots", bot_body(), "name"),
    ("POST", "/bots", bot_body(), "symbol"),
    ("PATCH", "/bots/{bot}", {"name": "x"}, "name"),
    ("POST", "/api-keys", {"label": "l", "api_key": "k" * 16, "secret_key": "s" * 16}, "label"),
    ("POST", "/api-keys", {"label": "l", "api_key": "k" * 16, "secret_key": "s" * 16}, "api_key"),
    (
        "POST",
        "/api-keys",
        {"label": "l", "api_key": "k" * 16, "secret_key": "s" * 16},
        "secret_key",
    ),
]


@pytest.mark.parametrize("poison", ["\\u0000", "\\ud800", "\\udfff"])
@pytest.mark.parametrize(("method", "path", "body", "field"), STRING_FIELDS)
async def test_nul_and_lone_surrogates_in_any_string_are_422_naming_the_field(
    alice: Api, method: str, path: str, body: dict[str, Any], field: str, poison: str
) -> None:
    if "{bot}" in path:
        path = path.format(bot=(await alice.create_bot())["id"])
    # Sent as JSON escapes, as a hostile client would; `json=` could not encode a surrogate.
    text = json.dumps(body)
    value = json.dumps(body[field])
    poisoned = value[:2] + poison + value[2:]
    text = text.replace(f'"{field}": {value}', f'"{field}": {poisoned}', 1)
    headers = alice.headers | {"content-type": "application/json"}
    r = await alice.client.request(method, path, content=text.encode(), headers=headers)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def _forge(settings: Settings, **claims: Any) -> str:
    base: dict[str, Any] = {
        "sub": "1",
        "jti": "a" * 32,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    base.update(claims)
    for key in [k for k, v in base.items() if v is None]:
        del base[key]
    assert settings.jwt_secret is not None
    return jwt.encode(base, settings.jwt_secret.get_secret_value(), algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "abc"},
        {"sub": str(2**31)},
        {"sub": str(10**30)},
        {"sub": "-1"},
        {"sub": "0"},
        {"sub": "1.5"},
        {"sub": ""},
        {"sub": None},
        {"jti": None},
        {"jti": 12345},
        {"jti": "\ud800"},
        {"jti": "x\x00y"},
        {"jti": "k" * 500},
        {"exp": 10**20},
        {"exp": "tomorrow"},
    ],
)
async def test_a_signed_token_with_unusable_claims_is_401(
    client: httpx.AsyncClient, settings: Settings, alice: Api, claims: dict[str, Any]
) -> None:
    if claims.get("sub") == "1":
        claims["sub"] = str(alice.user_id)
    try:
        token = _forge(settings, **claims)
    except (TypeError, ValueError):
        pytest.skip("the JWT library itself refuses to sign these claims")
    r = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "unauthorized"
    client.cookies.set("tradebot_session", token, path="/api")
    r = await client.get("/users/me")
    assert r.status_code == 401, r.text
    client.cookies.clear()


async def test_a_well_formed_forged_token_for_the_real_user_still_works(
    client: httpx.AsyncClient, settings: Settings, alice: Api
) -> None:
    # the control for the test above: the claims shape alone is what it varies
    token = _forge(settings, sub=str(alice.user_id))
    r = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


@pytest.fixture
async def failing_server(settings: Settings) -> AsyncIterator[str]:
    """The real app with two test-only routes: one that fails, one that names the client's
    port (so the test sees whether its connection was kept)."""
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("internal detail: table users, column hashed_password")

    async def peer(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    app.add_api_route("/test/boom", boom, methods=["GET"])
    app.add_api_route("/test/peer", peer, methods=["GET"])
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


async def test_an_unexpected_error_is_a_json_500_and_the_connection_stays_usable(
    failing_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with httpx.AsyncClient(base_url=failing_server, timeout=10) as c:
        before = (await c.get("/test/peer")).json()["port"]
        with caplog.at_level(logging.ERROR):
            r = await c.get("/test/boom")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {
            "error": "internal_error",
            "detail": "the server failed to handle this request",
        }
        assert "hashed_password" not in r.text and "RuntimeError" not in r.text
        # logged on the server, with what happened
        assert any("hashed_password" in (rec.exc_text or "") for rec in caplog.records) or any(
            rec.exc_info and "hashed_password" in str(rec.exc_info[1]) for rec in caplog.records
        )
        # the same keep-alive connection answers the next request
        after = await c.get("/test/peer")
        assert after.status_code == 200 and after.json()["port"] == before
        assert (await c.get("/api/v1/health")).status_code == 200


async def test_secrets_never_appear_in_a_validation_error(alice: Api) -> None:
    secret = secret_marker("secret")
    r = await alice.request(
        "POST", "/api-keys", json={"api_key": secret + "\x00", "secret_key": secret}
    )
    assert r.status_code == 422 and secret not in r.text
