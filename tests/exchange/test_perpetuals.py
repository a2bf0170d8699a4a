"""Funding rate and open interest: Binance USDⓈ-M through ccxt against the fake, and the
demo market's deterministic ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.fakes.binance import FUNDING_RATE, FakeBinance
from tradebot.config import Settings
from tradebot.engine.exchanges import Exchanges
from tradebot.exchange import demo_perpetuals
from tradebot.exchange.ccxt_perpetuals import CcxtPerpetuals
from tradebot.exchange.demo_market import DemoMarket
from tradebot.exchange.errors import NotAvailable, RateLimited
from tradebot.exchange.perpetuals import perpetual_symbol


class CountingBudget:
    """A request budget that grants everything and remembers what was asked."""

    def __init__(self) -> None:
        self.reserved: list[int] = []
        self.bans: list[float] = []

    async def reserve(self, weight: int) -> None:
        self.reserved.append(weight)

    async def observe(self, used_weight: int) -> None:
        pass

    async def ban(self, retry_after: float) -> None:
        self.bans.append(retry_after)


@pytest.fixture
async def perps(fake: FakeBinance) -> AsyncIterator[tuple[CcxtPerpetuals, CountingBudget]]:
    budget = CountingBudget()
    source = CcxtPerpetuals(base_url=fake.url, timeout=1.0, budget=budget, backoff=0.01)
    yield source, budget
    await source.close()


async def test_funding_and_open_interest_from_usdm(
    perps: tuple[CcxtPerpetuals, CountingBudget], fake: FakeBinance
) -> None:
    source, budget = perps
    fake.set_price("BTCUSDT", "61000.5")
    funding = await source.fetch_funding_rate("BTC/USDT")
    assert funding.symbol == "BTC/USDT" and funding.rate == FUNDING_RATE
    assert funding.mark_price == funding.index_price == Decimal("61000.5")
    assert funding.next_funding is not None and funding.next_funding.hour % 8 == 0
    assert funding.next_funding > datetime.now(UTC)
    interest = await source.fetch_open_interest("BTC/USDT")
    assert interest.amount == Decimal("833.333") and interest.value is None
    # markets once (weight 1 on fapi), then one weight-1 request per figure
    assert budget.reserved == [1, 1, 1]
    assert [r.path for r in fake.requests] == [
        "/fapi/v1/exchangeInfo",
        "/fapi/v1/premiumIndex",
        "/fapi/v1/openInterest",
    ]
    assert fake.requests[1].params == {"symbol": "BTCUSDT"}


async def test_no_perpetual_is_not_available_without_a_request(
    perps: tuple[CcxtPerpetuals, CountingBudget], fake: FakeBinance
) -> None:
    source, _ = perps
    with pytest.raises(NotAvailable, match="ETH/BTC has no perpetual contract"):
        await source.fetch_funding_rate("ETH/BTC")
    assert [r.path for r in fake.requests] == ["/fapi/v1/exchangeInfo"]


async def test_usdm_errors_are_translated_and_ban_the_budget(
    perps: tuple[CcxtPerpetuals, CountingBudget], fake: FakeBinance
) -> None:
    source, budget = perps
    fake.fail_next("GET /fapi/v1/openInterest", "429", retry_after=9)
    with pytest.raises(RateLimited):
        await source.fetch_open_interest("ETH/USDT")
    assert budget.bans == [9.0]


async def test_each_mode_has_its_perpetual_source(settings: Settings) -> None:
    exchanges = Exchanges(settings)
    try:
        assert exchanges.perpetuals("demo") is exchanges.demo
        assert isinstance(exchanges.perpetuals("live"), CcxtPerpetuals)
        assert exchanges.perpetuals("paper") is exchanges.perpetuals("live")  # live data
        with pytest.raises(NotAvailable, match="testnet"):
            exchanges.perpetuals("testnet")
    finally:
        await exchanges.close()


def test_demo_perpetuals_are_deterministic_and_plausible() -> None:
    at = int(datetime(2026, 5, 1, 13, 30, tzinfo=UTC).timestamp() * 1000)
    market, again, other = DemoMarket(seed=1), DemoMarket(seed=1), DemoMarket(seed=2)
    funding = demo_perpetuals.funding_rate(market, "BTC/USDT", at)
    assert funding == demo_perpetuals.funding_rate(again, "BTC/USDT", at)
    assert funding != demo_perpetuals.funding_rate(other, "BTC/USDT", at)
    assert abs(funding.rate) <= Decimal("0.0031")
    assert funding.next_funding == datetime(2026, 5, 1, 16, tzinfo=UTC)
    assert funding.index_price == Decimal(repr(market.price_at("BTC/USDT", at)))
    day = int(datetime(2026, 5, 1, 16, tzinfo=UTC).timestamp() * 1000)
    hours = [day + h * 3_600_000 for h in range(24)]
    rates = [demo_perpetuals.funding_rate(market, "BTC/USDT", t).rate for t in hours]
    assert len(set(rates)) == 3 and rates[0] == rates[7] != rates[8]  # one per 8-hour period
    interest = demo_perpetuals.open_interest(market, "BTC/USDT", at)
    assert interest == demo_perpetuals.open_interest(again, "BTC/USDT", at)
    assert interest.amount > 0 and interest.value == pytest.approx(
        interest.amount * Decimal(repr(market.price_at("BTC/USDT", at))), rel=Decimal("1e-6")
    )
    later = demo_perpetuals.open_interest(market, "BTC/USDT", at + 3_600_000)
    assert abs(later.amount / interest.amount - 1) < Decimal("0.1")  # smooth hour to hour
    with pytest.raises(NotAvailable):
        demo_perpetuals.funding_rate(market, "ETH/BTC", at)
    assert perpetual_symbol("BTC/USDT") == "BTC/USDT:USDT"
