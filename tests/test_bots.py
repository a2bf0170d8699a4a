from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.conftest import Api, bot_body
from tradebot.bots.schemas import BotCreate
from tradebot.core.config import StrategyConfig
from tradebot.core.risk import SizingConfig


async def test_create_bot_has_stopped_state(alice: Api) -> None:
    bot = await alice.create_bot(symbol="eth/usdt", take_profit_perc="4.50")
    assert bot["symbol"] == "ETH/USDT"
    assert bot["take_profit_perc"] == "4.5"
    assert bot["mode"] == "demo" and bot["is_active"] is False
    assert bot["check_interval_seconds"] == 60
    assert bot["state"]["status"] == "stopped"
    assert bot["state"]["daily_pnl"] == "0" and bot["state"]["in_position"] is False
    got = await alice.request("GET", f"/bots/{bot['id']}")
    assert got.status_code == 200 and got.json() == bot
    listed = await alice.request("GET", "/bots")
    assert [b["id"] for b in listed.json()] == [bot["id"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ema_fast": 21, "ema_slow": 9}, "ema_fast"),
        ({"ema_fast": 10, "ema_slow": 10}, "ema_fast"),
        ({"ema_fast": 1}, "ema_fast"),
        ({"rsi_oversold": 70, "rsi_overbought": 30}, "rsi_oversold"),
        ({"rsi_oversold": 0}, "rsi_oversold"),
        ({"rsi_overbought": 100}, "rsi_overbought"),
        ({"rsi_period": 1}, "rsi_period"),
        ({"stop_loss_perc": "0"}, "stop_loss_perc"),
        ({"take_profit_perc": "100.01"}, "take_profit_perc"),
        ({"daily_target_perc": "-1"}, "daily_target_perc"),
        ({"max_daily_loss_perc": "101"}, "max_daily_loss_perc"),
        ({"trailing_stop_perc": "0"}, "trailing_stop_perc"),
        ({"position_size_perc": None}, "position_size_perc"),
        ({"position_size_fixed": "100"}, "position_size_perc"),
        ({"position_size_perc": None, "position_size_fixed": "0"}, "position_size_fixed"),
        ({"timeframe": "7m"}, "timeframe"),
        ({"check_interval_seconds": 9}, "check_interval_seconds"),
        ({"symbol": "BTCUSDT"}, "symbol"),
        ({"symbol": "BTC/USDT/X"}, "symbol"),
        ({"mode": "yolo"}, "mode"),
        ({"name": ""}, "name"),
        ({"trailing_stop_active": True}, "trailing_stop_perc"),
        ({"stop_loss_perc": "1.23456"}, "stop_loss_perc"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"api_key_id": 1}, "api_key_id"),
    ],
)
async def test_invalid_config_is_422_naming_the_field(
    alice: Api, overrides: dict[str, object], field: str
) -> None:
    r = await alice.request("POST", "/bots", json=bot_body(**overrides))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "validation_error"
    assert field in {e["field"] for e in body["errors"]}, body
    assert all(e["reason"] for e in body["errors"])
    assert (await alice.request("GET", "/bots")).json() == []


async def test_missing_required_fields_are_named(alice: Api) -> None:
    r = await alice.request("POST", "/bots", json={"name": "x"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"symbol", "timeframe", "stop_loss_perc", "take_profit_perc"} <= fields


async def test_fixed_position_size_and_trailing_stop(alice: Api) -> None:
    bot = await alice.create_bot(
        position_size_perc=None,
        position_size_fixed="25.5",
        trailing_stop_active=True,
        trailing_stop_perc="1.5",
    )
    assert bot["position_size_fixed"] == "25.5" and bot["position_size_perc"] is None
    assert bot["trailing_stop_active"] is True and bot["trailing_stop_perc"] == "1.5"


async def test_patch_merges_and_revalidates(alice: Api) -> None:
    bot = await alice.create_bot()
    r = await alice.request("PATCH", f"/bots/{bot['id']}", json={"ema_fast": 5, "name": "renamed"})
    assert r.status_code == 200
    assert (
        r.json()["ema_fast"] == 5 and r.json()["name"] == "renamed" and r.json()["ema_slow"] == 21
    )
    r = await alice.request("PATCH", f"/bots/{bot['id']}", json={"ema_fast": 50})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ema_fast"
    r = await alice.request("PATCH", f"/bots/{bot['id']}", json={"position_size_fixed": "10"})
    assert r.status_code == 422
    r = await alice.request(
        "PATCH",
        f"/bots/{bot['id']}",
        json={"position_size_fixed": "10", "position_size_perc": None},
    )
    assert r.status_code == 200 and r.json()["position_size_fixed"] == "10"
    r = await alice.request("PATCH", f"/bots/{bot['id']}", json={"symbol": None})
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "symbol",
        "reason": "may not be null",
    }
    # nothing of a refused change was kept
    got = (await alice.request("GET", f"/bots/{bot['id']}")).json()
    assert got["ema_fast"] == 5 and got["symbol"] == "BTC/USDT"


async def test_start_and_stop(alice: Api) -> None:
    bot = await alice.create_bot()
    r = await alice.request("POST", f"/bots/{bot['id']}/start")
    assert r.status_code == 200
    assert r.json()["is_active"] is True and r.json()["state"]["status"] == "running"
    again = await alice.request("POST", f"/bots/{bot['id']}/start")
    assert again.status_code == 200 and again.json()["state"]["status"] == "running"
    r = await alice.request("POST", f"/bots/{bot['id']}/stop")
    assert r.json()["is_active"] is False and r.json()["state"]["status"] == "stopped"


async def test_live_bot_needs_an_api_key_to_start(alice: Api) -> None:
    bot = await alice.create_bot(mode="live")
    r = await alice.request("POST", f"/bots/{bot['id']}/start")
    assert r.status_code == 422 and "API key" in r.json()["detail"]
    assert r.json()["errors"] == [
        {
            "field": "api_key_id",
            "reason": "a live bot needs an API key: add one under /api-keys first",
        }
    ]
    assert (await alice.request("GET", f"/bots/{bot['id']}")).json()["is_active"] is False
    await alice.create_key()
    assert (await alice.request("POST", f"/bots/{bot['id']}/start")).status_code == 200


async def test_bot_pinned_to_a_key(alice: Api) -> None:
    key = await alice.create_key()
    bot = await alice.create_bot(mode="testnet", api_key_id=key["id"])
    assert bot["api_key_id"] == key["id"]
    r = await alice.request("POST", "/bots", json=bot_body(mode="live", api_key_id=999999))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "api_key_id"


async def test_delete_refused_while_active_then_allowed(alice: Api) -> None:
    bot = await alice.create_bot()
    await alice.request("POST", f"/bots/{bot['id']}/start")
    r = await alice.request("DELETE", f"/bots/{bot['id']}")
    assert r.status_code == 409
    await alice.request("POST", f"/bots/{bot['id']}/stop")
    assert (await alice.request("DELETE", f"/bots/{bot['id']}")).status_code == 204
    assert (await alice.request("GET", f"/bots/{bot['id']}")).status_code == 404


async def test_unknown_ids_are_404(alice: Api) -> None:
    for method, path in [
        ("GET", "/bots/424242"),
        ("PATCH", "/bots/424242"),
        ("DELETE", "/bots/424242"),
        ("POST", "/bots/424242/start"),
        ("POST", "/bots/424242/stop"),
        ("GET", "/bots/424242/trades"),
        ("DELETE", "/api-keys/424242"),
    ]:
        r = await alice.request(method, path, json={} if method == "PATCH" else None)
        assert r.status_code == 404, (method, path, r.text)
    r = await alice.request("GET", "/bots/not-a-number")
    assert r.status_code == 422


async def test_decimal_precision_is_kept_exactly(alice: Api) -> None:
    bot = await alice.create_bot(
        position_size_perc=None,
        position_size_fixed="0.000000000000000001",
        initial_capital="123456789.123456789",
    )
    assert Decimal(bot["position_size_fixed"]) == Decimal("1e-18")
    assert bot["initial_capital"] == "123456789.123456789"


@pytest.mark.parametrize("field", ["stop_loss_perc", "trailing_stop_perc"])
async def test_a_stop_of_100_percent_is_refused_everywhere(alice: Api, field: str) -> None:
    # The strategy needs its stops above zero, so a bot with one at 100 % would fail at its
    # first cycle: bots, their changes and backtests all refuse it on the field.
    def refused(r: httpx.Response) -> None:
        assert r.status_code == 422, r.text
        errors = r.json()["errors"]
        assert [e["field"] for e in errors] == [field], errors

    refused(await alice.request("POST", "/bots", json=bot_body(**{field: "100"})))
    bot = await alice.create_bot()
    refused(await alice.request("PATCH", f"/bots/{bot['id']}", json={field: "100"}))
    backtest = {k: v for k, v in bot_body(**{field: "100"}).items() if k != "name"}
    refused(await alice.request("POST", "/backtests", json={**backtest, "bars": 100}))
    ok = await alice.request("PATCH", f"/bots/{bot['id']}", json={field: "99.9999"})
    assert ok.status_code == 200 and ok.json()[field] == "99.9999"


def highest_accepted(field: str) -> object:
    """The largest value the API's documented schema admits for `field` (what a client
    validating by the OpenAPI document lets through)."""
    prop = BotCreate.model_json_schema()["properties"][field]
    spec = next(p for p in prop.get("anyOf", [prop]) if p.get("type") in ("integer", "number"))
    if spec["type"] == "integer":
        return spec["maximum"]
    if "maximum" in spec:
        return str(spec["maximum"])
    return str(Decimal(str(spec["exclusiveMaximum"])) - Decimal("0.0001"))


def highs() -> dict[str, object]:
    bounded = ("stop_loss_perc", "take_profit_perc", "trailing_stop_perc", "position_size_perc")
    more = ("daily_target_perc", "max_daily_loss_perc", "ema_slow", "rsi_period")
    values = {f: highest_accepted(f) for f in (*bounded, *more, "rsi_overbought")}
    values["max_daily_trades"] = highest_accepted("max_daily_trades")
    values["ema_fast"] = int(values["ema_slow"]) - 1  # type: ignore[call-overload]
    values["rsi_oversold"] = int(values["rsi_overbought"]) - 1  # type: ignore[call-overload]
    return values | {"trailing_stop_active": True}


@pytest.mark.parametrize(
    "extremes",
    [
        pytest.param(highs(), id="highest"),
        pytest.param(
            {
                "stop_loss_perc": "0.0001",
                "take_profit_perc": "0.0001",
                "trailing_stop_perc": "0.0001",
                "trailing_stop_active": True,
                "position_size_perc": None,
                "position_size_fixed": "0.000000000000000001",
                "initial_capital": "0.000000000000000001",
                "daily_target_perc": "0.0001",
                "max_daily_loss_perc": "0.0001",
                "ema_fast": 2,
                "ema_slow": 3,
                "rsi_period": 2,
                "rsi_oversold": 1,
                "rsi_overbought": 2,
                "max_daily_trades": 1,
            },
            id="lowest",
        ),
    ],
)
async def test_whatever_the_api_accepts_the_strategy_accepts(
    alice: Api, extremes: dict[str, object]
) -> None:
    bot = await alice.create_bot(**extremes)
    StrategyConfig.from_mapping(bot)  # the engine's own checks, raising on any it refuses
    SizingConfig.from_mapping(bot)
