"""P&L statistics: per bot, per UTC day, today and all time, aggregated in SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api
from tradebot.models import Trade
from tradebot.trades.repository import Totals


def _trade(
    user_id: int,
    bot_id: int | None,
    at: datetime,
    pnl: str | None,
    fee: str,
    asset: str = "USDT",
    *,
    venue: str = "demo",
    symbol: str = "BTC/USDT",
) -> Trade:
    return Trade(
        bot_config_id=bot_id,
        user_id=user_id,
        venue=venue,
        binance_order_id=uuid.uuid4().hex,
        symbol=symbol,
        side="BUY" if pnl is None else "SELL",
        order_type="MARKET",
        price=Decimal(60000),
        quantity_filled=Decimal("0.01"),
        quote_quantity_filled=Decimal(600),
        commission_amount=Decimal(fee),
        commission_asset=asset,
        pnl=None if pnl is None else Decimal(pnl),
        timestamp=at,
    )


NOW = datetime.now(UTC)
TODAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0)


async def _arrange(session: AsyncSession, alice: Api, bob: Api) -> tuple[int, int]:
    a = (await alice.create_bot(name="a"))["id"]
    b = (await alice.create_bot(name="b"))["id"]
    day2 = TODAY - timedelta(days=2) + timedelta(hours=23, minutes=59)  # late in the UTC day
    session.add_all(
        [
            _trade(alice.user_id, a, day2, None, "0.6"),
            _trade(alice.user_id, a, day2 + timedelta(minutes=0.5), "12.5", "0.6"),
            _trade(alice.user_id, b, TODAY + timedelta(seconds=1), None, "0.6"),
            _trade(alice.user_id, b, TODAY + timedelta(seconds=2), "-4.25", "0.6"),
            # a fee paid in BNB is not quote money
            _trade(alice.user_id, b, TODAY + timedelta(seconds=3), "1", "0.01", asset="BNB"),
            # long ago: all time only
            _trade(alice.user_id, a, NOW - timedelta(days=100), "100", "1"),
            # someone else's
            _trade(bob.user_id, None, TODAY + timedelta(seconds=1), "999", "9"),
        ]
    )
    await session.commit()
    return a, b


async def test_stats_per_bot_per_day_today_and_all_time(
    alice: Api, bob: Api, session: AsyncSession
) -> None:
    a, b = await _arrange(session, alice, bob)
    r = await alice.request("GET", "/stats")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == {
        "realised_pnl": "9.25",
        "fees": "2.4",
        "trades": 5,
        "wins": 2,
        "losses": 1,
    }
    assert [(x["bot_id"], x["name"], x["realised_pnl"], x["trades"]) for x in body["by_bot"]] == [
        (a, "a", "12.5", 2),
        (b, "b", "-3.25", 3),
    ]
    days = {d["day"]: (d["realised_pnl"], d["fees"], d["trades"]) for d in body["by_day"]}
    assert days == {
        str((TODAY - timedelta(days=2)).date()): ("12.5", "1.2", 2),
        str(TODAY.date()): ("-3.25", "1.2", 3),
    }
    assert body["today"]["realised_pnl"] == "-3.25" and body["today"]["losses"] == 1
    assert body["all_time"]["realised_pnl"] == "109.25" and body["all_time"]["trades"] == 6
    assert body["all_time"]["fees"] == "3.4"


async def test_stats_of_one_bot_and_a_chosen_range(
    alice: Api, bob: Api, session: AsyncSession
) -> None:
    a, _ = await _arrange(session, alice, bob)
    r = await alice.request("GET", f"/stats?bot_id={a}")
    body = r.json()
    assert [x["bot_id"] for x in body["by_bot"]] == [a]
    assert body["total"]["realised_pnl"] == "12.5" and body["today"]["trades"] == 0
    assert body["all_time"]["realised_pnl"] == "112.5"
    start = (NOW - timedelta(days=120)).isoformat()
    end = (NOW - timedelta(days=50)).isoformat()
    r = await alice.request("GET", "/stats", params={"from": start, "to": end})
    assert r.status_code == 200, r.text
    assert r.json()["total"]["realised_pnl"] == "100" and len(r.json()["by_day"]) == 1


async def test_stats_of_someone_elses_bot_are_404_and_lists_stay_own(
    alice: Api, bob: Api, session: AsyncSession
) -> None:
    a, _ = await _arrange(session, alice, bob)
    assert (await bob.request("GET", f"/stats?bot_id={a}")).status_code == 404
    body = (await bob.request("GET", "/stats")).json()
    assert body["total"]["realised_pnl"] == "999"
    assert [x["bot_id"] for x in body["by_bot"]] == [None]  # his trades of a deleted bot


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"from": "yesterday"}, "from"),
    ],
)
async def test_stats_refuse_bad_ranges(alice: Api, params: dict[str, str], field: str) -> None:
    r = await alice.request("GET", "/stats", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field


async def test_no_trades_gives_zeros(alice: Api) -> None:
    body = (await alice.request("GET", "/stats")).json()
    zero = {"realised_pnl": "0", "fees": "0", "trades": 0, "wins": 0, "losses": 0}
    assert body["total"] == body["today"] == body["all_time"] == zero
    assert body["by_bot"] == body["by_day"] == body["groups"] == []


async def test_stats_per_quote_asset_and_kind_of_money(
    alice: Api, bob: Api, session: AsyncSession
) -> None:
    """USDT and BTC P&L, or real and simulated money, are never added up in a group."""
    a, b = await _arrange(session, alice, bob)  # demo, BTC/USDT: simulated USDT
    u = alice.user_id
    session.add_all(
        [
            _trade(u, a, TODAY + timedelta(seconds=5), "2", "0.1", venue="paper"),
            _trade(
                u,
                b,
                TODAY + timedelta(seconds=6),
                "0.001",
                "0.0001",
                "BTC",
                venue="binance",
                symbol="ETH/BTC",
            ),
            _trade(
                u,
                b,
                NOW - timedelta(days=200),
                "-0.002",
                "0",
                "BTC",
                venue="binance",
                symbol="ETH/BTC",
            ),
            _trade(u, a, TODAY + timedelta(seconds=7), "-7", "0.2", venue="binance-testnet"),
            _trade(u, a, TODAY + timedelta(seconds=8), "3", "0.3", venue="binance"),
        ]
    )
    await session.commit()
    body = (await alice.request("GET", "/stats")).json()
    groups = {(g["quote"], g["money"]): g for g in body["groups"]}
    assert list(groups) == [
        ("BTC", "real"),
        ("USDT", "real"),
        ("USDT", "test"),
        ("USDT", "simulated"),
    ]
    btc = groups["BTC", "real"]
    assert (btc["today"]["realised_pnl"], btc["today"]["fees"]) == ("0.001", "0.0001")
    assert btc["all_time"]["realised_pnl"] == "-0.001" and btc["total"]["trades"] == 1
    assert groups["USDT", "test"]["today"]["realised_pnl"] == "-7"
    assert groups["USDT", "real"]["all_time"]["realised_pnl"] == "3"
    # demo and paper are both simulated money: one group
    simulated = groups["USDT", "simulated"]
    assert simulated["today"]["realised_pnl"] == "-1.25" and simulated["today"]["trades"] == 4
    assert simulated["all_time"]["realised_pnl"] == "111.25"
    assert simulated["total"]["realised_pnl"] == "11.25"
    # the ungrouped fields stay what they were: everything summed
    assert body["all_time"]["trades"] == 11

    one = (await alice.request("GET", f"/stats?bot_id={b}")).json()["groups"]
    assert [(g["quote"], g["money"]) for g in one] == [("BTC", "real"), ("USDT", "simulated")]


def test_totals_add_up_exactly_past_the_default_decimal_precision() -> None:
    big = Totals(realised_pnl=Decimal("12345678901234567890.123456789012345678"), trades=1)
    tiny = Totals(realised_pnl=Decimal("0.000000000000000001"), fees=Decimal("0.5"), wins=1)
    total = big + tiny
    assert total.realised_pnl == Decimal("12345678901234567890.123456789012345679")
    assert (total.fees, total.trades, total.wins, total.losses) == (Decimal("0.5"), 1, 1, 0)
