"""One strategy cycle of one bot (seed steps 4-11), given its rows and the market view.

The cycle decides with the pure core, places at most one order per leg with a deterministic
client order id, and returns everything to persist as data (`CycleOutcome`); the runner
writes it in one fenced transaction. Live and testnet orders are announced in the bot's
`pending_order` (committed) before they are sent, so a cycle that dies after sending is
finished by the next one, which looks the order up instead of sending it again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tradebot import metrics
from tradebot.core.candles import Candles
from tradebot.core.config import StrategyConfig
from tradebot.core.fills import FillModel, client_order_id
from tradebot.core.risk import SizingConfig, position_size, sell_size
from tradebot.core.signals import Action
from tradebot.core.strategy import PositionState, TradingStrategy
from tradebot.core.types import Fill, MarketRules, Side
from tradebot.engine.daily import DailyLimits, is_new_day, unrealized_pnl
from tradebot.exchange.errors import ExchangeError, OrderStatusUnknown, TemporaryError
from tradebot.exchange.port import ExchangePort
from tradebot.models import BotConfig, BotState

log = logging.getLogger(__name__)
ZERO = Decimal(0)
# An order announced this long ago and still not found at the exchange never executed: the
# adapter's receive window (5 s) has passed, plus a margin for clock differences.
PENDING_SETTLE_SECONDS = 15.0


@dataclass(frozen=True)
class MarketView:
    """What every bot of one market sees this cycle."""

    rules: MarketRules
    candles: Candles  # closed candles only, oldest first
    price: Decimal
    at: datetime


@dataclass
class TradeRecord:
    fill: Fill
    pnl: Decimal | None
    reason: str


@dataclass
class CycleOutcome:
    """Everything the cycle changes; written in one transaction by the runner."""

    position: PositionState
    trades: list[TradeRecord] = field(default_factory=list)
    daily_pnl: Decimal = ZERO
    daily_trades: int = 0
    daily_entries: int = 0
    day_open_value: Decimal | None = None
    pnl_day: date | None = None
    day_start_equity: Decimal | None = None
    stop_reason: str | None = None  # set when a daily limit stopped the bot
    note: str | None = None  # why an intended order was skipped
    unrealized_pnl: Decimal = ZERO
    balances: dict[str, Decimal] | None = None  # simulated accounts only
    price: Decimal = ZERO
    position_key_id: int | None = None  # the API key whose account holds the position


# Commits `pending_order` and the bot's order counter (fenced on its lease) before an order
# is sent; `None` withdraws an announcement whose order the exchange refused.
AnnounceOrder = Callable[[dict[str, Any] | None, int], Awaitable[None]]


def _net_quantity(fill: Fill, rules: MarketRules) -> Decimal:
    """Base actually received: Binance may take the BUY commission in the base asset."""
    if fill.side is Side.BUY and fill.commission_asset == rules.base:
        return fill.quantity - fill.commission
    return fill.quantity


def _quote_cost(fill: Fill, rules: MarketRules) -> Decimal:
    """Commission of a fill in quote terms."""
    if fill.commission_asset == rules.quote:
        return fill.commission
    if fill.commission_asset == rules.base:
        return fill.commission * fill.price
    return ZERO  # paid in a third asset (BNB): not counted against this bot


# A bot's strategy settings as objects, kept between its cycles in this process: building
# them from the row (validation, Decimal conversions) costs about 15 us a cycle.
CONFIGS_KEPT = 20_000
_configs: OrderedDict[tuple[int, datetime | None], StrategyConfig] = OrderedDict()


def strategy_config(config: BotConfig) -> StrategyConfig:
    """The bot's StrategyConfig, rebuilt only when its row changed (`updated_at`)."""
    if config.id is None or config.updated_at is None:  # a row not stored (yet)
        return StrategyConfig.from_object(config)
    key = (config.id, config.updated_at)
    found = _configs.get(key)
    if found is None:
        found = _configs[key] = StrategyConfig.from_object(config)
        while len(_configs) > CONFIGS_KEPT:
            _configs.popitem(last=False)
    else:
        _configs.move_to_end(key)
    return found


class BotCycle:
    """Runs one cycle for one bot against one exchange account."""

    def __init__(
        self,
        config: BotConfig,
        state: BotState,
        exchange: ExchangePort,
        view: MarketView,
        *,
        now: datetime,
        fills: FillModel,
        entry_cost: Decimal | None,
        announce: AnnounceOrder,
        key_id: int | None = None,
    ) -> None:
        self.cfg = config
        self.state = state
        self.ex = exchange
        self.view = view
        self.now = now
        self.fills = fills  # fee and slippage assumed when sizing (the simulated fill model)
        self.fee_rate = fills.fee_rate
        self.entry_cost = entry_cost  # quote spent on the open position, fees included
        self.announce = announce
        self.key_id = key_id  # the API key of a live or testnet account
        self.strategy = TradingStrategy(strategy_config(config))
        self.limits = DailyLimits.from_object(config)
        self.cycle_key = state.cycle_count + 1
        self.out = CycleOutcome(position=PositionState.from_object(state))

    # -- orders --------------------------------------------------------------------------

    async def _order(self, side: Side, quantity: Decimal, leg: str, reason: str) -> Fill:
        simulated = self.ex.capabilities.simulated
        if simulated:
            # Simulated fills exist only once their cycle commits (which counts the cycle).
            cid = client_order_id(self.cfg.id, self.cycle_key, leg)
        else:
            # Numbered by the bot's announced orders: an id is never used twice, whatever
            # happened to an earlier order or to the bot's settings.
            seq = self.state.orders_announced + 1
            cid = client_order_id(self.cfg.id, f"o{seq}", leg)
            await self.announce(
                {
                    "client_order_id": cid,
                    "symbol": self.cfg.symbol,
                    "side": side.value,
                    "leg": leg,
                    "reason": reason,
                    "announced_at": self.now.timestamp(),
                },
                seq,
            )
            self.state.orders_announced = seq
        try:
            fill = await self.ex.create_market_order(
                self.cfg.symbol,
                side,
                quantity=quantity,
                client_order_id=cid,
                check_existing=not simulated and self.state.retry_count > 0,
            )
            metrics.ORDERS.labels("filled").inc()
            return fill
        except ExchangeError as refused:
            temporary = isinstance(refused, TemporaryError)
            metrics.ORDERS.labels("unknown" if temporary else "refused").inc()
            if not simulated and not temporary:
                # Refused outright (funds, filters, key): the order does not exist, so
                # nothing is left pending for the next cycle (or the user) to resolve.
                await self.announce(None, self.state.orders_announced)
            raise

    def _record_entry(self, fill: Fill, decided: PositionState, reason: str) -> None:
        rules = self.view.rules
        quantity = _net_quantity(fill, rules)
        self.out.position = self.strategy.entered(decided, fill.price, quantity)
        self.entry_cost = fill.quote_quantity + _quote_cost(fill, rules)
        self.out.day_open_value = None  # today's P&L of this position counts from its cost
        self.out.trades.append(TradeRecord(fill, None, reason))
        self.out.daily_trades += 1
        self.out.daily_entries += 1

    def _record_exit(self, fill: Fill, held: Decimal, reason: str) -> None:
        proceeds = fill.quote_quantity - _quote_cost(fill, self.view.rules)
        share = fill.quantity / held if held > 0 else Decimal(1)
        pnl: Decimal | None = None
        if self.entry_cost is not None:
            pnl = proceeds - self.entry_cost * share
        basis = self._day_basis()
        if basis is not None:
            self.out.daily_pnl += proceeds - basis * share
        self.out.trades.append(TradeRecord(fill, pnl, reason))
        self.out.daily_trades += 1
        self.out.position = self.strategy.exited(self.out.position)
        self.entry_cost = None
        self.out.day_open_value = None

    def _day_basis(self) -> Decimal | None:
        """What today's P&L of the open position is measured from."""
        if self.out.day_open_value is not None:
            return self.out.day_open_value
        return self.entry_cost

    async def _sell_all(self, leg: str, reason: str) -> bool:
        """Sell the held position; False when there is nothing sellable."""
        pos = self.out.position
        held = pos.quantity or ZERO
        sellable = held
        if not self.ex.capabilities.simulated:
            balance = (await self.ex.fetch_balance()).get(self.view.rules.base)
            sellable = min(held, balance.free if balance else ZERO)
        size = sell_size(sellable, self.view.price, self.view.rules)
        if not size.ok:
            # Below the exchange's minimums nothing can be sold, now or later: what is left
            # is dust, and the bot is flat (it must not sit "in position" without a stop).
            self.out.note = f"position closed as dust, not sellable: {size.detail}"
            self.out.position = self.strategy.exited(pos)
            self.out.day_open_value = None
            return False
        fill = await self._order(Side.SELL, size.quantity, leg, reason)
        self._record_exit(fill, held, reason)
        return True

    # -- the cycle -----------------------------------------------------------------------

    async def resolve_pending(self) -> bool:
        """Finish an order a previous attempt sent but did not record; True when found."""
        pending = self.state.pending_order
        if not pending:
            return False
        symbol = pending.get("symbol", self.cfg.symbol)  # where it was sent
        fill = await self.ex.fetch_order_by_client_id(symbol, pending["client_order_id"])
        if fill is None:
            age = self.now.timestamp() - float(pending.get("announced_at", 0))
            if age < PENDING_SETTLE_SECONDS:
                # The order may still reach the exchange (it is refused only once its receive
                # window has passed): "not found" proves nothing yet.
                raise OrderStatusUnknown("a recent order's outcome is not known yet")
            log.info("bot %s: announced order %s was never executed", self.cfg.id, pending["leg"])
            return False
        log.info(
            "bot %s: recording order %s found after a lost outcome", self.cfg.id, pending["leg"]
        )
        if fill.side is Side.BUY:
            self._record_entry(fill, self.out.position, pending["reason"])
        else:
            self._record_exit(fill, self.out.position.quantity or fill.quantity, pending["reason"])
        return True

    async def _roll_day(self) -> None:
        today = self.now.astimezone(UTC).date()
        st = self.state
        if not is_new_day(st.pnl_day, today):
            self.out.daily_pnl, self.out.daily_trades = st.daily_pnl, st.daily_trades_count
            self.out.daily_entries, self.out.day_open_value = st.daily_entries, st.day_open_value
            self.out.pnl_day, self.out.day_start_equity = st.pnl_day, st.day_start_equity
            return
        self.out.daily_pnl, self.out.daily_trades, self.out.pnl_day = ZERO, 0, today
        self.out.daily_entries, self.out.day_start_equity = 0, None
        pos = self.out.position
        # A position carried into the new day: today's P&L counts from its value now.
        self.out.day_open_value = (
            self.view.price * pos.quantity if pos.in_position and pos.quantity else None
        )
        if not self.limits.initial_capital and (
            self.limits.target_perc or self.limits.max_loss_perc
        ):
            balances = await self.ex.fetch_balance()
            rules = self.view.rules
            quote = balances.get(rules.quote)
            base = balances.get(rules.base)
            equity = (quote.total if quote else ZERO) + (
                base.total if base else ZERO
            ) * self.view.price
            self.out.day_start_equity = equity

    async def run(self) -> CycleOutcome:
        """Steps 5-11: decide, trade, count, and stop at a daily limit."""
        await self._roll_day()
        if await self.resolve_pending():
            # One order per cycle: the recovered one is recorded before anything new is sent.
            return await self._finish()
        view = self.view
        entries = self.limits.entries_allowed(self.out.daily_entries)
        decision = self.strategy.step(
            view.candles, view.price, self.out.position, entries_allowed=entries
        )
        if decision.action is Action.ENTER:
            free = (await self.ex.fetch_balance()).get(view.rules.quote)
            # Sized at the price the order is expected to fill at, so the budget holds.
            size = position_size(
                free.free if free else ZERO,
                self.fills.price(Side.BUY, decision.price),
                view.rules,
                SizingConfig.from_object(self.cfg),
                self.fee_rate,
            )
            if size.ok:
                fill = await self._order(Side.BUY, size.quantity, "entry", decision.reason.value)
                self._record_entry(fill, decision.state, decision.reason.value)
            else:
                self.out.note = f"entry skipped: {size.detail}"
                self.out.position = dataclasses.replace(
                    self.out.position, last_candle_time=decision.state.last_candle_time
                )
        elif decision.action is Action.EXIT:
            sold = await self._sell_all("exit", decision.reason.value)
            self.out.position = (
                decision.state
                if sold or not self.out.position.in_position
                else dataclasses.replace(
                    self.out.position, last_candle_time=decision.state.last_candle_time
                )
            )
        else:
            self.out.position = decision.state
        await self._check_daily_limits()
        return await self._finish()

    async def _finish(self) -> CycleOutcome:
        pos = self.out.position
        view = self.view
        self.out.price = view.price
        if pos.in_position and not self.ex.capabilities.simulated:
            self.out.position_key_id = self.key_id
        self.out.unrealized_pnl = (
            unrealized_pnl(pos.entry_price, pos.quantity, view.price, self.fee_rate)
            if pos.in_position
            else ZERO
        )
        if self.ex.capabilities.simulated:
            self.out.balances = {a: b.free for a, b in (await self.ex.fetch_balance()).items()}
        return self.out

    async def _check_daily_limits(self) -> None:
        pos = self.out.position
        open_pnl = ZERO
        basis = self._day_basis()
        if pos.in_position and basis is not None and pos.quantity:
            value = self.view.price * pos.quantity * (1 - self.fee_rate)
            open_pnl = value - basis
        reason = self.limits.reached(self.out.daily_pnl + open_pnl, self.out.day_start_equity)
        if reason is None:
            return
        if pos.in_position:
            if self.out.trades:
                return  # one order per cycle: the closing sell goes out next cycle
            await self._sell_all("limit", reason)
        self.out.stop_reason = reason


def next_run(due_at: datetime | None, now: datetime, interval: int) -> datetime:
    """Keep the bot's cadence; after a long delay, start a fresh one from now."""
    step = timedelta(seconds=interval)
    if due_at is None:
        return now + step
    following = due_at + step
    return following if following > now else now + step
