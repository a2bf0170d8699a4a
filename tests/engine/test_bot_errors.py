"""A bot's error history: written with every recorded failure, fenced, bounded, paged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import Api
from tests.engine.conftest import make_due
from tradebot.context import AppContext
from tradebot.engine import persist
from tradebot.engine.context import EngineContext
from tradebot.engine.persist import ERRORS_KEPT, LeaseLost
from tradebot.engine.runner import run_batch
from tradebot.exchange.errors import TemporaryError
from tradebot.models import BotError, BotState


class DownMarket:
    """A market whose every read fails as a temporary exchange outage."""

    async def fetch_candles(self, *_: object, **__: object) -> None:
        raise TemporaryError("the exchange did not answer in time")

    fetch_ticker = market = fetch_candles


async def _errors(ctx: AppContext, bot_id: int) -> list[BotError]:
    async with ctx.sessions() as s:
        stmt = select(BotError).where(BotError.bot_config_id == bot_id).order_by(BotError.id)
        return list((await s.execute(stmt)).scalars())


async def test_each_recorded_failure_joins_the_history(
    alice: Api, ctx: AppContext, engine: EngineContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine.exchanges, "demo", DownMarket())
    bot = await alice.create_bot(timeframe="1m")
    await alice.request("POST", f"/bots/{bot['id']}/start")
    shown: list[str | None] = []
    for _ in range(engine.settings.cycle_max_retries + 1):
        await make_due(ctx, bot["id"])
        await run_batch(engine, [bot["id"]])
        state = (await alice.request("GET", f"/bots/{bot['id']}")).json()["state"]
        shown.append(state["last_error_message"])
    assert state["status"] == "error"
    rows = await _errors(ctx, bot["id"])
    # The very sentence the state showed each time, with the engine's verdict and attempt.
    assert [r.message for r in rows] == shown
    assert [r.kind for r in rows] == ["temporary"] * (len(rows) - 1) + ["permanent"]
    assert [r.attempt for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.user_id == alice.user_id for r in rows)
    assert "gave up" in rows[-1].message and "TemporaryError" in rows[0].message

    page = (await alice.request("GET", f"/bots/{bot['id']}/errors", params={"limit": 4})).json()
    assert [e["id"] for e in page["items"]] == [r.id for r in rows[::-1][:4]]
    assert page["items"][0] == {
        "id": rows[-1].id,
        "occurred_at": page["items"][0]["occurred_at"],
        "message": rows[-1].message,
        "kind": "permanent",
        "attempt": len(rows),
    }
    rest = await alice.request(
        "GET", f"/bots/{bot['id']}/errors", params={"cursor": page["next_cursor"]}
    )
    assert [e["id"] for e in rest.json()["items"]] == [r.id for r in rows[::-1][4:]]
    assert rest.json()["next_cursor"] is None


async def test_a_cycle_that_lost_its_lease_records_no_error(alice: Api, ctx: AppContext) -> None:
    bot = await alice.create_bot()
    with pytest.raises(LeaseLost):
        async with ctx.sessions.begin() as s:
            await persist.release_for_retry(
                s, bot["id"], alice.user_id, "not-the-lease", "x", attempt=1, count=True, wait=1
            )
    with pytest.raises(LeaseLost):
        async with ctx.sessions.begin() as s:
            await persist.record_error(s, bot["id"], alice.user_id, "not-the-lease", "x", attempt=1)
    assert await _errors(ctx, bot["id"]) == []


async def test_the_history_is_bounded_and_goes_with_its_bot(alice: Api, ctx: AppContext) -> None:
    bot = await alice.create_bot()
    other = await alice.create_bot(name="other")
    async with ctx.sessions.begin() as s:
        await persist.add_error(s, other["id"], alice.user_id, "kept", kind="permanent", attempt=1)
        for i in range(ERRORS_KEPT + 3):
            await persist.add_error(
                s, bot["id"], alice.user_id, f"failure {i}", kind="temporary", attempt=1
            )
    rows = await _errors(ctx, bot["id"])
    assert len(rows) == ERRORS_KEPT and rows[0].message == "failure 3"
    assert [r.message for r in await _errors(ctx, other["id"])] == ["kept"]
    assert (await alice.request("DELETE", f"/bots/{bot['id']}")).status_code == 204
    async with ctx.sessions() as s:
        left = await s.scalar(select(func.count()).select_from(BotError))
        assert left == 1 and await s.get(BotState, bot["id"]) is None


async def test_errors_of_an_unknown_bot_and_bad_pages(alice: Api) -> None:
    assert (await alice.request("GET", "/bots/999/errors")).status_code == 404
    bot = await alice.create_bot()
    empty = await alice.request("GET", f"/bots/{bot['id']}/errors")
    assert empty.status_code == 200 and empty.json() == {"items": [], "next_cursor": None}
    for params in ({"cursor": "nonsense"}, {"limit": 0}, {"limit": 201}):
        r = await alice.request("GET", f"/bots/{bot['id']}/errors", params=params)
        assert r.status_code == 422, params
