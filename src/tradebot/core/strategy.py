"""The EMA/RSI trading strategy: position state in, a decision out. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tradebot.core.candles import CandleSeries, to_ms
from tradebot.core.config import StrategyConfig, to_decimal
from tradebot.core.signals import PRICE_EXITS, Action, Reason, Signals, compute_signals

__all__ = [
    "PRICE_EXITS",
    "Action",
    "Decision",
    "PositionState",
    "PriceRange",
    "Reason",
    "StrategyConfig",
    "TradingStrategy",
]


@dataclass(frozen=True)
class PositionState:
    """What the strategy needs to remember between steps (the persisted part of a bot)."""

    in_position: bool = False
    entry_price: Decimal | None = None
    quantity: Decimal | None = None
    max_price_since_entry: Decimal | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    trailing_stop_price: Decimal | None = None
    # open time (epoch ms) of the last closed candle whose signals were evaluated
    last_candle_time: int | None = None

    @classmethod
    def from_object(
        cls, obj: object, last_candle_time: int | datetime | None = None
    ) -> PositionState:
        """Build from any object with these attributes, e.g. a `BotState` row.

        `quantity` may also be called `current_position_size_coins`.
        """

        def get(name: str) -> Decimal | None:
            value = getattr(obj, name, None)
            return None if value is None else to_decimal(value)

        quantity = get("quantity") if hasattr(obj, "quantity") else None
        if quantity is None:
            quantity = get("current_position_size_coins")
        if last_candle_time is None:
            last_candle_time = getattr(obj, "last_candle_time", None)
        return cls(
            in_position=bool(getattr(obj, "in_position", False)),
            entry_price=get("entry_price"),
            quantity=quantity,
            max_price_since_entry=get("max_price_since_entry"),
            stop_loss_price=get("stop_loss_price"),
            take_profit_price=get("take_profit_price"),
            trailing_stop_price=get("trailing_stop_price"),
            last_candle_time=None if last_candle_time is None else to_ms(last_candle_time),
        )


@dataclass(frozen=True)
class PriceRange:
    """Prices observed since the previous step: the first, lowest, highest and latest.

    A live bot observes one price per step (`PriceRange.at(price)`); a bar-by-bar
    simulation passes a candle's open, low, high and close.
    """

    first: Decimal
    low: Decimal
    high: Decimal
    last: Decimal

    def __post_init__(self) -> None:
        low, high = self.low, self.high
        if not (low <= self.first <= high and low <= self.last <= high):
            raise ValueError("price range needs low <= first, last <= high")

    @classmethod
    def at(cls, price: Decimal) -> PriceRange:
        """A single observed price."""
        return cls(price, price, price, price)

    @classmethod
    def of_candle(cls, candles: CandleSeries, index: int) -> PriceRange:
        """The open, low, high and close of one candle."""
        return cls(
            to_decimal(float(candles.open[index])),
            to_decimal(float(candles.low[index])),
            to_decimal(float(candles.high[index])),
            to_decimal(float(candles.close[index])),
        )


@dataclass(frozen=True)
class Decision:
    """What to do now, why, and the state to keep once it is done.

    `price` is the reference price: the stop/target level (or the first price when it
    gapped through) for price exits, the latest price otherwise. `state` assumes the order
    fills at `price`; after a real entry fill use `TradingStrategy.entered`.
    """

    action: Action
    reason: Reason
    price: Decimal
    state: PositionState

    @property
    def stop_loss_price(self) -> Decimal | None:
        return self.state.stop_loss_price

    @property
    def take_profit_price(self) -> Decimal | None:
        return self.state.take_profit_price

    @property
    def trailing_stop_price(self) -> Decimal | None:
        return self.state.trailing_stop_price

    @property
    def max_price_since_entry(self) -> Decimal | None:
        return self.state.max_price_since_entry


class TradingStrategy:
    """Long-only spot EMA/RSI strategy with one position; decisions on CLOSED candles only.

    `t` is the last closed candle, `t-1` the one before; EMA and RSI are TA-Lib's on closes.

    Entry (flat, entries allowed): a golden cross, ema_fast[t-1] <= ema_slow[t-1] and
    ema_fast[t] > ema_slow[t], with rsi[t] < rsi_overbought (reason `golden_cross`); or an
    RSI rebound, rsi[t-1] < rsi_oversold <= rsi[t], while ema_fast[t] > ema_slow[t]
    (reason `rsi_rebound`). The golden cross wins when both hold.

    Exit (in position), in this order:
      1. stop: stop-loss level entry x (1 - stop_loss_perc/100) and, when
         trailing_stop_active and trailing_stop_perc are set, the trailing level
         max_price_since_entry x (1 - trailing_stop_perc/100) form ONE stop at the higher of
         the two. low <= stop exits with reason `trailing_stop` when the trailing level is
         strictly higher, else `stop_loss`;
      2. take profit: high >= entry x (1 + take_profit_perc/100) (reason `take_profit`);
      3. signal: a death cross, ema_fast[t-1] >= ema_slow[t-1] and ema_fast[t] < ema_slow[t]
         (reason `death_cross`), or rsi[t] > rsi_overbought (reason `rsi_overbought`).

    Every `step` checks 1-2 against the observed prices (`PriceRange`); a stop or target
    exit fills at its level, or at the first observed price when that is already through the
    level. Afterwards max_price_since_entry rises to the highest observed price (it starts at
    the entry price). Signal exits and entries are evaluated only when a closed candle newer
    than `state.last_candle_time` is present; they fill at market (the next price). A price
    exit leaves that candle unprocessed, so the next step may enter on it.
    """

    def __init__(self, config: StrategyConfig) -> None:
        self.config = config

    def signals(self, candles: CandleSeries) -> Signals:
        """Every signal over the given closed candles (the vectorised form)."""
        return compute_signals(candles.close, self.config)

    # State transitions ---------------------------------------------------------------------

    def entered(
        self, state: PositionState, price: Decimal, quantity: Decimal | None
    ) -> PositionState:
        """The state after an entry filled at `price`: levels from the fill price."""
        cfg = self.config
        return replace(
            state,
            in_position=True,
            entry_price=price,
            quantity=quantity,
            max_price_since_entry=price,
            stop_loss_price=cfg.stop_loss_level(price),
            take_profit_price=cfg.take_profit_level(price),
            trailing_stop_price=cfg.trailing_level(price),
        )

    def exited(self, state: PositionState) -> PositionState:
        """The state after the position was sold (flat; the processed candle is kept)."""
        return PositionState(last_candle_time=state.last_candle_time)

    def stop_level(self, state: PositionState) -> tuple[Decimal, Reason]:
        """The one stop price in force and the reason an exit at it would carry."""
        entry = self._entry(state)
        stop = state.stop_loss_price
        if stop is None:
            stop = self.config.stop_loss_level(entry)
        peak = state.max_price_since_entry if state.max_price_since_entry is not None else entry
        trailing = self.config.trailing_level(peak)
        if trailing is not None and trailing > stop:
            return trailing, Reason.TRAILING_STOP
        return stop, Reason.STOP_LOSS

    def take_profit(self, state: PositionState) -> Decimal:
        """The take-profit price in force."""
        if state.take_profit_price is not None:
            return state.take_profit_price
        return self.config.take_profit_level(self._entry(state))

    def price_exit(self, state: PositionState, prices: PriceRange) -> Decision | None:
        """Stop (first) or take-profit exit against the observed prices, if either hit."""
        stop, reason = self.stop_level(state)
        if prices.low <= stop:
            return Decision(Action.EXIT, reason, min(prices.first, stop), self.exited(state))
        target = self.take_profit(state)
        if prices.high >= target:
            exit_price = max(prices.first, target)
            return Decision(Action.EXIT, Reason.TAKE_PROFIT, exit_price, self.exited(state))
        return None

    def _entry(self, state: PositionState) -> Decimal:
        if state.entry_price is None:
            raise ValueError("a position state in position needs an entry price")
        return state.entry_price

    def _raise_peak(self, state: PositionState, high: Decimal) -> PositionState:
        peak = state.max_price_since_entry
        peak = self._entry(state) if peak is None else peak
        if high > peak:
            peak = high
        return replace(
            state, max_price_since_entry=peak, trailing_stop_price=self.config.trailing_level(peak)
        )

    # The live step ----------------------------------------------------------------------------

    def step(
        self,
        candles: CandleSeries,
        price: Decimal | PriceRange,
        state: PositionState,
        *,
        entries_allowed: bool = True,
    ) -> Decision:
        """One cycle: price exits on every call, signals once per new closed candle.

        `candles` must hold closed candles only, oldest first (see `Candles.closed`).
        """
        prices = price if isinstance(price, PriceRange) else PriceRange.at(price)
        if state.in_position:
            exit_now = self.price_exit(state, prices)
            if exit_now is not None:
                return exit_now
            state = self._raise_peak(state, prices.high)
        elif state.entry_price is not None:
            state = self.exited(state)

        last = prices.last
        if len(candles) == 0:
            return Decision(Action.HOLD, Reason.WARMUP, last, state)
        newest = int(candles.open_time[-1])
        if state.last_candle_time is not None and newest <= state.last_candle_time:
            return Decision(Action.HOLD, Reason.WAITING, last, state)
        state = replace(state, last_candle_time=newest)
        if len(candles) < 2:
            return Decision(Action.HOLD, Reason.WARMUP, last, state)

        signals = self.signals(candles)
        if state.in_position:
            reason = signals.exit_reason(-1)
            if reason is not None:
                return Decision(Action.EXIT, reason, last, self.exited(state))
            return Decision(Action.HOLD, Reason.NO_SIGNAL, last, state)
        reason = signals.entry_reason(-1)
        if reason is None:
            warm = len(candles) >= self.config.warmup_bars
            return Decision(Action.HOLD, Reason.NO_SIGNAL if warm else Reason.WARMUP, last, state)
        if not entries_allowed:
            return Decision(Action.HOLD, Reason.ENTRIES_BLOCKED, last, state)
        return Decision(Action.ENTER, reason, last, self.entered(state, last, None))
