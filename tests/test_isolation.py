"""User B can never read, change, start, stop or delete user A's bots, keys or trades."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api, bot_body
from tests.factories import add_trades

ROUTES = [
    ("GET", "/bots/{bot}"),
    ("PATCH", "/bots/{bot}"),
    ("DELETE", "/bots/{bot}"),
    ("POST", "/bots/{bot}/start"),
    ("POST", "/bots/{bot}/stop"),
    ("GET", "/bots/{bot}/trades"),
    ("GET", "/bots/{bot}/chart"),
    ("GET", "/bots/{bot}/errors"),
    ("GET", "/stats?bot_id={bot}"),
    ("GET", "/trades?bot_id={bot}"),
    ("GET", "/api-keys/{key}"),
    ("DELETE", "/api-keys/{key}"),
    ("GET", "/backtests/{backtest}"),
    ("GET", "/backtests/{backtest}/trades.csv"),
    ("DELETE", "/backtests/{backtest}"),
]
BACKTEST = {
    "symbol": "BTC/USDT",
    "timeframe": "1h",
    "bars": 100,
    "stop_loss_perc": "2",
    "take_profit_perc": "4",
    "position_size_perc": "10",
}


@pytest.mark.parametrize(("method", "template"), ROUTES)
async def test_foreign_resources_are_404_and_untouched(
    alice: Api, bob: Api, session: AsyncSession, method: str, template: str
) -> None:
    key = await alice.create_key()
    bot = await alice.create_bot(mode="live")
    await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=2)
    r = await alice.request("POST", "/backtests", json=BACKTEST)
    backtest = r.json()
    before_bot = (await alice.request("GET", f"/bots/{bot['id']}")).json()
    path = template.format(bot=bot["id"], key=key["id"], backtest=backtest["id"])
    body = {"name": "hijacked", "ema_fast": 3} if method == "PATCH" else None
    r = await bob.request(method, path, json=body)
    assert r.status_code == 404, (method, path, r.text)
    assert r.json()["error"] == "not_found"
    # alice's things are exactly as they were
    assert (await alice.request("GET", f"/bots/{bot['id']}")).json() == before_bot
    assert [k["id"] for k in (await alice.request("GET", "/api-keys")).json()] == [key["id"]]
    assert len((await alice.request("GET", f"/bots/{bot['id']}/trades")).json()["items"]) == 2
    assert (await alice.request("GET", f"/backtests/{backtest['id']}")).json() == backtest


async def test_lists_only_show_own_rows(alice: Api, bob: Api, session: AsyncSession) -> None:
    await alice.create_key()
    bot = await alice.create_bot()
    await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=3)
    assert (await bob.request("GET", "/bots")).json() == []
    assert (await bob.request("GET", "/api-keys")).json() == []
    assert (await bob.request("GET", "/trades")).json()["items"] == []
    assert (await alice.request("POST", "/backtests", json=BACKTEST)).status_code == 202
    assert (await bob.request("GET", "/backtests")).json()["items"] == []
    assert (await bob.request("GET", "/users/me")).json()["email"] == "bob@example.com"


async def test_cannot_pin_a_foreign_key(alice: Api, bob: Api) -> None:
    key = await alice.create_key()
    r = await bob.request("POST", "/bots", json=bot_body(mode="live", api_key_id=key["id"]))
    assert r.status_code == 404
    mine = await bob.create_bot(mode="live")
    r = await bob.request("PATCH", f"/bots/{mine['id']}", json={"api_key_id": key["id"]})
    assert r.status_code == 404
    # a foreign key never counts as bob's key for starting a live bot
    r = await bob.request("POST", f"/bots/{mine['id']}/start")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "api_key_id"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users/me"),
        ("GET", "/bots"),
        ("POST", "/bots"),
        ("GET", "/api-keys"),
        ("POST", "/api-keys"),
        ("GET", "/trades"),
        ("GET", "/bots/1/errors"),
        ("GET", "/markets/chart?symbol=BTC/USDT&timeframe=1m"),
        ("GET", "/stats"),
        ("GET", "/backtests"),
        ("POST", "/backtests"),
        ("GET", "/backtests/1"),
        ("GET", "/backtests/1/trades.csv"),
        ("DELETE", "/backtests/1"),
    ],
)
async def test_every_private_route_needs_auth(client, method: str, path: str) -> None:  # type: ignore[no-untyped-def]
    r = await client.request(method, path, json={})
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate") == "Bearer"
