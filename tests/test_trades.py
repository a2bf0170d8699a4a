from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tests.factories import add_trades


async def _all_pages(alice: Api, path: str, limit: int, **query: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": limit, **query}
        if cursor:
            params["cursor"] = cursor
        r = await alice.request("GET", path, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_trades_newest_first_and_paginated(alice: Api, session: AsyncSession) -> None:
    bot = await alice.create_bot()
    other = await alice.create_bot(name="other")
    await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=7)
    await add_trades(
        session,
        user_id=alice.user_id,
        bot_id=other["id"],
        count=3,
        start=datetime(2026, 2, 1, tzinfo=UTC),
    )
    all_items = await _all_pages(alice, "/trades", 4)
    assert len(all_items) == 10
    stamps = [t["timestamp"] for t in all_items]
    assert stamps == sorted(stamps, reverse=True)
    assert len({t["id"] for t in all_items}) == 10
    mine = await _all_pages(alice, "/trades", 3, bot_id=bot["id"])
    assert [t["bot_config_id"] for t in mine] == [bot["id"]] * 7
    via_bot = await _all_pages(alice, f"/bots/{bot['id']}/trades", 2)
    assert via_bot == mine
    first = mine[-1]
    assert first["side"] == "BUY" and first["price"] == "50000.12" and first["pnl"] is None
    assert mine[-2]["pnl"] == "1.5" and mine[-2]["commission_asset"] == "USDT"


async def test_trades_with_equal_timestamps_page_without_gaps(
    alice: Api, session: AsyncSession
) -> None:
    bot = await alice.create_bot()
    same = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(5):
        await add_trades(
            session,
            user_id=alice.user_id,
            bot_id=bot["id"],
            count=1,
            start=same.replace(microsecond=i % 2),
        )
    items = await _all_pages(alice, "/trades", 2)
    assert len(items) == 5 and len({t["id"] for t in items}) == 5


async def test_bad_cursor_and_limit_are_422(alice: Api) -> None:
    r = await alice.request("GET", "/trades", params={"cursor": "!!!notacursor"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
    r = await alice.request("GET", "/trades", params={"limit": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"
    r = await alice.request("GET", "/trades", params={"limit": 501})
    assert r.status_code == 422


async def test_trades_survive_bot_deletion(alice: Api, session: AsyncSession) -> None:
    bot = await alice.create_bot()
    await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=2)
    assert (await alice.request("DELETE", f"/bots/{bot['id']}")).status_code == 204
    items = (await alice.request("GET", "/trades")).json()["items"]
    assert len(items) == 2 and all(t["bot_config_id"] is None for t in items)


async def test_trades_oldest_first_and_a_cursor_pages_both_ways(
    alice: Api, session: AsyncSession
) -> None:
    bot = await alice.create_bot()
    same = datetime(2026, 3, 1, tzinfo=UTC)
    await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=4)
    for _ in range(3):  # ties on the timestamp are ordered by id
        await add_trades(session, user_id=alice.user_id, bot_id=bot["id"], count=1, start=same)
    newest = await _all_pages(alice, "/trades", 2)
    for path in ("/trades", f"/bots/{bot['id']}/trades"):
        oldest = await _all_pages(alice, path, 3, order="asc")
        assert [t["id"] for t in oldest] == [t["id"] for t in newest][::-1]
    # A position read newest first leads, oldest first, back to the newer ones.
    r = await alice.request("GET", "/trades", params={"limit": 3})
    cursor = r.json()["next_cursor"]
    back = await alice.request("GET", "/trades", params={"cursor": cursor, "order": "asc"})
    assert [t["id"] for t in back.json()["items"]] == [t["id"] for t in newest[:2]][::-1]
    r = await alice.request("GET", "/trades", params={"order": "sideways"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "order"
