"""Build the exchange a bot trades on, by mode; public market data shared per process."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal

from tradebot.api_keys.service import ExchangeCredentials
from tradebot.config import Settings
from tradebot.core.fills import FillModel
from tradebot.core.types import Ticker
from tradebot.exchange.ccxt_adapter import CcxtAdapter
from tradebot.exchange.ccxt_perpetuals import CcxtPerpetuals
from tradebot.exchange.demo_market import DemoClock, DemoMarket
from tradebot.exchange.errors import NotAvailable
from tradebot.exchange.perpetuals import PerpetualSource
from tradebot.exchange.port import ExchangePort, RequestBudget
from tradebot.exchange.simulated import DemoSource, MarketSource, SimulatedExchange

SIMULATED_MODES = ("paper", "demo")
# Account clients kept per process (least recently used beyond this are closed).
ACCOUNTS_KEPT = 256


def market_id(mode: str, exchange: str) -> str:
    """The market-data namespace a mode reads: demo prices are not Binance's."""
    if mode == "demo":
        return "demo"
    return f"{exchange}-testnet" if mode == "testnet" else exchange


def venue(mode: str, exchange: str) -> str:
    """Where a mode's orders execute (their ids are unique per venue and symbol only)."""
    return mode if mode in SIMULATED_MODES else market_id(mode, exchange)


class Exchanges:
    """Per-process factory: one demo market, one public ccxt client per endpoint."""

    def __init__(
        self,
        settings: Settings,
        budgets: Mapping[bool, RequestBudget] | None = None,
        futures_budget: RequestBudget | None = None,
    ) -> None:
        self.settings = settings
        self.budgets = dict(budgets or {})  # per host: {sandbox: budget}
        self.futures_budget = futures_budget
        self.fills = FillModel(settings.sim_fee_rate, settings.sim_slippage_bps)
        self.demo = DemoSource(
            DemoMarket(seed=settings.demo_seed),
            DemoClock(settings.demo_epoch, settings.demo_epoch, settings.demo_speed),
        )
        self._public: dict[bool, CcxtAdapter] = {}
        self._perpetuals: CcxtPerpetuals | None = None
        # (mode, digest of key and secret) -> the account's client, reused across cycles.
        self._accounts: OrderedDict[tuple[str, str], CcxtAdapter] = OrderedDict()
        self._retired: list[CcxtAdapter] = []

    def public(self, mode: str) -> MarketSource:
        """Where candles, tickers and market rules of a mode come from."""
        if mode == "demo":
            return self.demo
        sandbox = mode == "testnet"
        if sandbox not in self._public:
            self._public[sandbox] = CcxtAdapter(
                sandbox=sandbox,
                base_url=self.settings.binance_base_url,
                timeout=self.settings.exchange_timeout,
                budget=self.budgets.get(sandbox),
            )
        return self._public[sandbox]

    def perpetuals(self, mode: str) -> PerpetualSource:
        """Where funding and open interest of a mode's symbols come from (paper reads live
        Binance, demo its own market); raises `NotAvailable` for the testnet, which has none."""
        if mode == "demo":
            return self.demo
        if mode == "testnet":
            raise NotAvailable("funding and open interest are not available on the testnet")
        if self._perpetuals is None:
            self._perpetuals = CcxtPerpetuals(
                base_url=self.settings.binance_base_url,
                timeout=self.settings.exchange_timeout,
                budget=self.futures_budget,
            )
        return self._perpetuals

    def simulated(
        self, mode: str, balances: Mapping[str, Decimal], reference: Ticker | None = None
    ) -> SimulatedExchange:
        return SimulatedExchange(self.public(mode), balances, fills=self.fills, reference=reference)

    def account(self, mode: str, credentials: ExchangeCredentials) -> ExchangePort:
        """A live or testnet account with the user's key: one client per key and process,
        reused by its later cycles (its HTTP session and loaded markets with it), under the
        same error translation and weight budget. A changed key or secret is another client;
        the process closes them all when it ends."""
        pair = f"{credentials.api_key}\0{credentials.secret_key}".encode()
        found_key = (mode, hashlib.sha256(pair).hexdigest())
        found = self._accounts.get(found_key)
        if found is not None:
            self._accounts.move_to_end(found_key)
            return found
        adapter = CcxtAdapter(
            api_key=credentials.api_key,
            secret=credentials.secret_key,
            sandbox=mode == "testnet",
            base_url=self.settings.binance_base_url,
            timeout=self.settings.exchange_timeout,
            budget=self.budgets.get(mode == "testnet"),
        )
        self._accounts[found_key] = adapter
        while len(self._accounts) > ACCOUNTS_KEPT:
            self._retired.append(self._accounts.popitem(last=False)[1])
        return adapter

    async def close_retired(self) -> None:
        """Close the account clients pushed out of the cache (after the cycle using one)."""
        retired, self._retired = self._retired, []
        for adapter in retired:
            await adapter.close()

    async def close(self) -> None:
        await self.close_retired()
        for account in self._accounts.values():
            await account.close()
        self._accounts.clear()
        for adapter in self._public.values():
            await adapter.close()
        self._public.clear()
        if self._perpetuals is not None:
            await self._perpetuals.close()
            self._perpetuals = None
