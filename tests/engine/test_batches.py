"""How the dispatcher cuts due bots into batches."""

from __future__ import annotations

from datetime import UTC, datetime

from tradebot.engine.schedule import DueBot, batches

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _due(*markets: tuple[str, str, int]) -> list[DueBot]:
    """(mode, symbol, bots) -> due bots with consecutive ids."""
    out, next_id = [], 1
    for mode, symbol, count in markets:
        for _ in range(count):
            out.append(DueBot(next_id, (mode, "binance", symbol, "1m"), AT))
            next_id += 1
    return out


def _markets(due: list[DueBot], batch: list[int]) -> set[str]:
    by_id = {d.bot_id: d.market[2] for d in due}
    return {by_id[i] for i in batch}


def test_many_small_markets_are_packed_into_few_batches() -> None:
    due = _due(*(("demo", f"S{i}/USDT", 3) for i in range(100)))  # 300 bots, 100 markets
    got = batches(due, 100, live_size=10)
    assert [len(b) for b in got] == [99, 99, 99, 3]  # 33 markets of 3 fit in 100
    assert sorted(i for b in got for i in b) == [d.bot_id for d in due]  # each bot once
    for batch in got:
        assert len(batch) <= 100
        assert len(_markets(due, batch)) == len(batch) // 3  # no market split between batches


def test_a_big_market_fills_whole_batches_and_shares_its_rest() -> None:
    due = _due(("paper", "BTC/USDT", 250), ("paper", "ETH/USDT", 30))
    got = batches(due, 100, live_size=10)
    assert [len(b) for b in got] == [100, 100, 80]
    assert _markets(due, got[0]) == {"BTC/USDT"}
    assert _markets(due, got[2]) == {"BTC/USDT", "ETH/USDT"}


def test_live_bots_travel_in_small_batches_of_their_own() -> None:
    due = _due(("live", "BTC/USDT", 25), ("demo", "BTC/USDT", 5), ("testnet", "ETH/USDT", 3))
    got = batches(due, 100, live_size=10)
    sizes = sorted(len(b) for b in got)
    assert sizes == [5, 8, 10, 10]  # 25 live = 10 + 10 + 5 joined by the 3 testnet bots
    by_id = {d.bot_id: d.market[0] for d in due}
    for batch in got:
        modes = {by_id[i] for i in batch}
        assert modes <= {"paper", "demo"} or not modes & {"paper", "demo"}


def test_nothing_due_is_no_batch() -> None:
    assert batches([], 100, live_size=10) == []
