"""/api/v1/telegram: the signed-in user's link code, linked chat and switches, and no one
else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Api
from tests.fakes.telegram_api import FakeBotApi
from tests.telegram.conftest import link_chat, telegram_settings
from tradebot.engine.context import EngineContext
from tradebot.telegram_links import service

ALL_ON = {"trade": True, "stopped": True, "error": True, "alarm": True}


async def test_a_link_code_expires_in_ten_minutes(alice: Api) -> None:
    r = await alice.request("POST", "/telegram/link-code")
    assert r.status_code == 201
    body = r.json()
    assert len(body["code"]) == service.CODE_LENGTH
    expires = datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(minutes=10))) < timedelta(seconds=30)
    assert body["deep_link"] is None  # no bot known


async def test_the_deep_link_names_the_running_bot(
    alice: Api, bot_api: FakeBotApi, telegram_bot: object
) -> None:
    body = (await alice.request("POST", "/telegram/link-code")).json()
    assert body["deep_link"] == f"https://t.me/{bot_api.username}?start={body['code']}"
    got = (await alice.request("GET", "/telegram")).json()
    assert got == {"bot_username": bot_api.username, "link": None}


async def test_the_api_asks_telegram_for_the_bot_when_none_said(
    alice: Api, ctx: EngineContext, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx, "settings", telegram_settings(ctx.settings, bot_api))
    got = (await alice.request("GET", "/telegram")).json()
    assert got["bot_username"] == bot_api.username
    assert [c.method for c in bot_api.calls] == ["getMe"]
    await alice.request("GET", "/telegram")
    assert len(bot_api.calls) == 1  # remembered


async def test_the_linked_chat_and_its_switches(alice: Api, ctx: EngineContext) -> None:
    await link_chat(ctx, alice.user_id, 1001)
    got = (await alice.request("GET", "/telegram")).json()["link"]
    assert got["chat_id"] == 1001 and got["username"] == "someone"
    assert got["notifications"] == ALL_ON
    r = await alice.request("PATCH", "/telegram", json={"trade": False, "alarm": False})
    assert r.status_code == 200
    expected = {**ALL_ON, "trade": False, "alarm": False}
    assert r.json()["link"]["notifications"] == expected
    r = await alice.request("PATCH", "/telegram", json={"alarm": True})
    assert r.json()["link"]["notifications"] == {**expected, "alarm": True}


async def test_bad_switches_are_refused(alice: Api, ctx: EngineContext) -> None:
    await link_chat(ctx, alice.user_id, 1001)
    for body in ({"pizza": True}, {"trade": "sometimes"}):
        r = await alice.request("PATCH", "/telegram", json=body)
        assert r.status_code == 422, body


async def test_unlink(alice: Api, ctx: EngineContext) -> None:
    assert (await alice.request("DELETE", "/telegram")).status_code == 404
    await link_chat(ctx, alice.user_id, 1001)
    assert (await alice.request("DELETE", "/telegram")).status_code == 204
    assert (await alice.request("GET", "/telegram")).json()["link"] is None
    assert (await alice.request("PATCH", "/telegram", json={"trade": False})).status_code == 404


async def test_another_users_link_is_out_of_reach(alice: Api, bob: Api, ctx: EngineContext) -> None:
    await link_chat(ctx, alice.user_id, 1001)
    await alice.request("PATCH", "/telegram", json={"error": False})
    before = (await alice.request("GET", "/telegram")).json()
    assert (await bob.request("GET", "/telegram")).json()["link"] is None
    assert (await bob.request("PATCH", "/telegram", json={"error": True})).status_code == 404
    assert (await bob.request("DELETE", "/telegram")).status_code == 404
    assert (await alice.request("GET", "/telegram")).json() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/telegram"),
        ("PATCH", "/telegram"),
        ("DELETE", "/telegram"),
        ("POST", "/telegram/link-code"),
    ],
)
async def test_every_route_needs_a_sign_in(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    r = await client.request(method, path, json={} if method == "PATCH" else None)
    assert r.status_code == 401
