"""Run cycles for a batch of bots: claim, share market data per market, cycle, persist, publish.

Bots that share a market (mode, exchange, symbol, timeframe) read one cached candle set and
one ticker. Each bot's outcome is written in its own transaction, fenced on the bot's lease,
so one bot's failure never touches another's writes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tradebot import metrics
from tradebot.api_keys.service import decrypt, key_for_bot
from tradebot.bots.balance import simulated_balances
from tradebot.core.config import warmup_bars
from tradebot.core.types import Side, Ticker
from tradebot.engine import schedule
from tradebot.engine.context import EngineContext
from tradebot.engine.cycle import BotCycle, CycleOutcome, MarketView, next_run
from tradebot.engine.exchanges import SIMULATED_MODES
from tradebot.engine.market import Market, market_view, prime_tickers
from tradebot.engine.persist import (
    CYCLE_DONE,
    LeaseLost,
    record_error,
    release_for_retry,
    save_holds,
    save_outcome,
    state_values,
)
from tradebot.events.snapshot import state_event
from tradebot.exchange.errors import (
    ExchangeError,
    InvalidKey,
    RateLimited,
    TemporaryError,
)
from tradebot.exchange.port import ExchangePort
from tradebot.logging_setup import bind
from tradebot.models import BotConfig, BotState, Trade

log = logging.getLogger(__name__)
# The task's time is up (Celery's soft limit, or the cancellation that follows it): these
# end the whole batch, never one bot's cycle.
INTERRUPTED = (SoftTimeLimitExceeded, asyncio.CancelledError)


@dataclass
class BatchResult:
    """What happened to each bot asked for."""

    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # not due, not active, or leased
    retry: dict[int, float] = field(default_factory=dict)  # bot id -> seconds to wait
    failed: list[int] = field(default_factory=list)  # now in status error
    next_runs: dict[int, datetime] = field(default_factory=dict)
    # State events of the cycles written, published together once the batch is done.
    events: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    # What clients were shown of each idle bot as loaded (its event, its last run): a cycle
    # that leaves it equal publishes nothing.
    shown: dict[int, tuple[dict[str, Any], datetime | None]] = field(
        default_factory=dict, repr=False
    )


def _count(result: BatchResult) -> None:
    for outcome, ids in (
        ("done", result.done),
        ("skipped", result.skipped),
        ("retried", result.retry),
        ("failed", result.failed),
    ):
        if ids:
            metrics.CYCLES.labels(outcome).inc(len(ids))


def _is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, ExchangeError) and not isinstance(exc, TemporaryError)


def _backoff(attempt: int) -> float:
    return float(min(60, 2 ** max(0, attempt)))


async def _load(session: AsyncSession, ids: Sequence[int]) -> list[BotConfig]:
    rows = await session.execute(
        select(BotConfig)
        .where(BotConfig.id.in_(ids))
        .options(selectinload(BotConfig.state), selectinload(BotConfig.sim_balances))
        .order_by(BotConfig.id)
    )
    return list(rows.scalars().all())


async def _entry_costs(session: AsyncSession, bots: Sequence[BotConfig]) -> dict[int, Decimal]:
    """Quote spent on each open position (its BUY, fee included): one query for the batch."""
    holding = {b.id: b for b in bots if b.state.in_position}
    if not holding:
        return {}
    rows = await session.execute(
        select(Trade)
        .where(Trade.bot_config_id.in_(holding), Trade.side == Side.BUY.value)
        .distinct(Trade.bot_config_id)  # PostgreSQL's DISTINCT ON: each bot's latest BUY
        .order_by(Trade.bot_config_id, Trade.timestamp.desc(), Trade.id.desc())
    )
    costs = {}
    for buy in rows.scalars():
        assert buy.bot_config_id is not None
        costs[buy.bot_config_id] = _cost(holding[buy.bot_config_id], buy)
    return costs


def _cost(bot: BotConfig, buy: Trade) -> Decimal:
    fee = buy.commission_amount or Decimal(0)
    base, _, quote = bot.symbol.partition("/")
    if buy.commission_asset == base:
        fee *= buy.price
    elif buy.commission_asset != quote:
        fee = Decimal(0)
    return buy.quote_quantity_filled + fee


async def run_batch(
    ctx: EngineContext, bot_ids: Sequence[int], *, token: str | None = None
) -> BatchResult:
    """Claim the due bots among `bot_ids` and run one cycle each."""
    result = BatchResult()
    token = token or schedule.new_token()
    async with ctx.sessions.begin() as session:
        claimed = await schedule.claim(
            session, bot_ids, lease_ttl=ctx.settings.lease_seconds, token=token
        )
    result.skipped = [b for b in bot_ids if b not in claimed]
    if not claimed:
        _count(result)
        return result
    try:
        await _run_claimed(ctx, claimed, token, result)
        _count(result)
    except INTERRUPTED:
        await _publish_events(ctx, result)  # what was written before the interruption
        # Give back the leases of the bots not yet done, so they are due again at once
        # instead of when their leases expire.
        finished = {*result.done, *result.failed, *result.retry, *result.skipped}
        unfinished = [b for b in claimed if b not in finished]
        log.warning("batch interrupted; %d bots released undone", len(unfinished))
        try:
            async with ctx.sessions.begin() as session:
                await schedule.release(session, unfinished, token)
        except Exception:
            log.exception("could not release the leases; they expire by themselves")
        raise
    await _publish_events(ctx, result)
    return result


async def _run_claimed(
    ctx: EngineContext, claimed: dict[int, datetime], token: str, result: BatchResult
) -> None:
    extras: dict[int, _Prepared] = {}
    broken: list[tuple[BotConfig, Exception]] = []
    async with ctx.sessions() as session:
        bots = await _load(session, list(claimed))
        costs = await _entry_costs(session, bots)
        for b in bots:
            if not b.state.in_position:  # in a position, the price moves the event anyway
                result.shown[b.id] = (_event(b, b.state, None), b.state.last_run_at)
        for b in bots:
            try:
                extras[b.id] = await _prepare(ctx, session, b, costs.get(b.id))
            except ValueError as undecryptable:  # a stored key no longer decrypts
                refused = InvalidKey(f"the stored API key cannot be used: {undecryptable}")
                broken.append((b, refused))
    for b, error in broken:
        await _fail(ctx, b, error, token, result)
    by_market: dict[Market, list[BotConfig]] = defaultdict(list)
    for bot in bots:
        if bot.id in extras:
            by_market[(bot.mode, bot.exchange, bot.symbol, bot.timeframe)].append(bot)
    holds: list[Hold] = []
    views = await _market_views(ctx, by_market)
    async with ctx.sessions() as session:  # one session for the batch, a transaction per bot
        for market, members in by_market.items():
            view = views[market]
            # The whole market failed: each of its bots retries or errors.
            if isinstance(view, Exception):
                for bot in members:
                    await _fail(ctx, bot, view, token, result)
                continue
            for bot in members:
                with bind(bot_id=bot.id, user_id=bot.user_id, cycle=token):
                    hold = await _cycle_one(
                        ctx, session, bot, view, claimed[bot.id], token, extras[bot.id], result
                    )
                if hold is not None:
                    holds.append(hold)
        await _write_holds(ctx, session, holds, token, result, claimed)


Hold = tuple[BotConfig, CycleOutcome, datetime, datetime]

# A batch's markets are read at once, at most this many at a time: an exchange round trip
# (tens of milliseconds away) then no longer holds up every read queued behind it.
MARKET_READS = 16


async def _market_views(
    ctx: EngineContext, by_market: dict[Market, list[BotConfig]]
) -> dict[Market, MarketView | Exception]:
    """Each market's view, or the error that reading it raised."""
    try:
        await prime_tickers(ctx, by_market)
    except INTERRUPTED:
        raise
    except Exception:  # each market then reads its own ticker, and fails on its own
        log.warning("the batch's prices could not be read at once", exc_info=True)
    gate = asyncio.Semaphore(MARKET_READS)

    async def read(market: Market, members: list[BotConfig]) -> MarketView:
        async with gate:
            return await market_view(ctx, market, _candles_needed(members))

    markets = list(by_market)
    got = await asyncio.gather(*(read(m, by_market[m]) for m in markets), return_exceptions=True)
    views: dict[Market, MarketView | Exception] = {}
    for market, view in zip(markets, got, strict=True):
        # The task's time running out (or the process stopping) ends the batch, not a market.
        if isinstance(view, INTERRUPTED) or not isinstance(view, MarketView | Exception):
            raise view
        views[market] = view
    return views


def _candles_needed(bots: Sequence[BotConfig]) -> int:
    """Candles the slowest bot of a market needs to leave warm-up, the forming one included
    (the API admits periods beyond CANDLE_LIMIT, which market_view reads at the least)."""
    return max(warmup_bars(b.ema_slow, b.rsi_period) for b in bots) + 1


async def _write_holds(
    ctx: EngineContext,
    session: AsyncSession,
    holds: list[Hold],
    token: str,
    result: BatchResult,
    due: dict[int, datetime],
) -> None:
    """The batch's quiet cycles in one statement, then their events."""
    if not holds:
        return
    try:
        async with session.begin():
            written = await save_holds(session, holds, token)
            # Those stopped meanwhile give their leases back (a lost lease is not ours).
            await schedule.release(session, [b.id for b, *_ in holds if b.id not in written], token)
    except INTERRUPTED:
        raise
    except Exception as exc:
        for bot, *_ in holds:
            await _fail(ctx, bot, exc, token, result)
        return
    for bot, outcome, now, following in holds:
        if bot.id not in written:
            log.info("bot %s: stopped or lease lost during the cycle; nothing written", bot.id)
            result.skipped.append(bot.id)
            continue
        result.done.append(bot.id)
        result.next_runs[bot.id] = following
        _committed(bot, outcome, due[bot.id], now)
        values = state_values(bot, outcome, now=now, next_run_at=following) | CYCLE_DONE
        _apply(bot, values, outcome, result, now)


@dataclass
class _Prepared:
    credentials: Any = None
    entry_cost: Decimal | None = None
    balances: dict[str, Decimal] | None = None


async def _prepare(
    ctx: EngineContext, session: AsyncSession, bot: BotConfig, entry_cost: Decimal | None
) -> _Prepared:
    """Seed steps 1-2: the key (decrypted in memory only), balances, the open position's cost."""
    prep = _Prepared(entry_cost=entry_cost)
    if bot.mode in SIMULATED_MODES:
        prep.balances = simulated_balances(bot, bot.sim_balances, ctx.settings.sim_start_balance)
    else:
        key = await key_for_bot(session, bot)
        prep.credentials = decrypt(ctx.box, key) if key is not None else None
    return prep


async def _cycle_one(
    ctx: EngineContext,
    session: AsyncSession,
    bot: BotConfig,
    view: MarketView,
    due_at: datetime,
    token: str,
    prep: _Prepared,
    result: BatchResult,
) -> Hold | None:
    """One bot's cycle; a quiet one (no fill, no stop) is returned for the batch's bulk write."""
    exchange: ExchangePort
    if prep.balances is not None:
        # Simulated orders fill against the very price the bot decided on.
        exchange = ctx.exchanges.simulated(
            bot.mode, prep.balances, reference=Ticker(bot.symbol, view.price, view.at)
        )
    elif prep.credentials is None:
        await _fail(ctx, bot, InvalidKey("no API key: add one under /api-keys"), token, result)
        return None
    else:
        exchange = ctx.exchanges.account(bot.mode, prep.credentials)

    key_id = prep.credentials.key_id if prep.credentials is not None else None

    async def announce(pending: dict[str, Any] | None, seq: int) -> None:
        # The order's account holds the position from now on (see `key_for_bot`).
        holder = key_id if pending is not None or bot.state.in_position else None
        async with session.begin():
            done = await session.execute(
                update(BotState)
                .where(schedule.fenced(bot.id, token))
                .values(pending_order=pending, orders_announced=seq, position_key_id=holder)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(bot.id)

    now = datetime.now(UTC)
    try:
        cycle = BotCycle(
            bot,
            bot.state,
            exchange,
            view,
            now=now,
            fills=ctx.exchanges.fills,
            entry_cost=prep.entry_cost,
            announce=announce,
            key_id=key_id,
        )
        outcome = await cycle.run()
        following = next_run(due_at, now, bot.check_interval_seconds)
        if not outcome.trades and not outcome.stop_reason:
            # Quiet (a simulated account's first one seeds its balances there too).
            return bot, outcome, now, following
        async with session.begin():
            written = await save_outcome(
                session, bot, outcome, token=token, now=now, next_run_at=following
            )
        result.done.append(bot.id)
        if written["status"] == "running":
            result.next_runs[bot.id] = following
        _committed(bot, outcome, due_at, now)
    except LeaseLost:
        log.warning("bot %s: lease lost during the cycle; its writes were dropped", bot.id)
        result.skipped.append(bot.id)
        return None
    except INTERRUPTED:
        raise
    except Exception as exc:
        await _fail(ctx, bot, exc, token, result)
        return None
    finally:
        if prep.balances is None:
            await ctx.exchanges.close_retired()  # the account's client is kept for next time
    _apply(bot, written, outcome, result, now)
    return None


def _apply(
    bot: BotConfig,
    written: dict[str, object],
    outcome: CycleOutcome,
    result: BatchResult,
    now: datetime,
) -> None:
    """Apply the committed values to the loaded rows, so the event needs no second read, and
    queue the event for the batch's one publishing round trip when it shows a change."""
    for key, value in written.items():
        if not key.startswith(("lease_", "queued_")):
            setattr(bot.state, key, value)
    if bot.state.status == "stopped":  # by this cycle, or by its owner while it ran
        bot.is_active = False
    event = _event(bot, bot.state, outcome)
    shown = result.shown.pop(bot.id, None)
    if shown is not None and shown[0] == event and not _refresh_due(bot.id, shown[1], now):
        return
    result.events.append((bot.user_id, bot.id, event))


# An unchanged state is still published (and de-duplicated in Redis) once in this many
# seconds per bot, so an event lost on its way (Redis down for a moment) is not lost for good.
EVENT_REFRESH_SECONDS = 600


def _refresh_due(bot_id: int, previous: datetime | None, now: datetime) -> bool:
    """Whether this cycle is the bot's first in a new refresh window (windows offset per bot,
    so the refreshes of many bots spread out instead of landing in the same minute)."""
    if previous is None:
        return True
    offset = bot_id * 7919 % EVENT_REFRESH_SECONDS
    return (previous.timestamp() + offset) // EVENT_REFRESH_SECONDS != (
        now.timestamp() + offset
    ) // EVENT_REFRESH_SECONDS


async def _publish_events(ctx: EngineContext, result: BatchResult) -> None:
    """The batch's state events in one pipeline; a lost one is refreshed by the next."""
    events, result.events = result.events, []
    try:
        await ctx.publisher.bot_states(events)
    except Exception:  # the changes are committed
        log.warning("%d state events not published", len(events), exc_info=True)


async def _publish_change(ctx: EngineContext, bot: BotConfig) -> None:
    """Publish the bot's state as stored (after an error was recorded)."""
    async with ctx.sessions() as session:
        fresh = await session.get(BotState, bot.id)
        config = await session.get(BotConfig, bot.id)
        if fresh is None or config is None:
            return
        await _publish(ctx, config, fresh, None)


def _event(config: BotConfig, state: BotState, outcome: CycleOutcome | None) -> dict[str, Any]:
    return state_event(
        config,
        state,
        price=outcome.price if outcome else None,
        unrealized=outcome.unrealized_pnl if outcome else None,
    )


async def _publish(
    ctx: EngineContext, config: BotConfig, state: BotState, outcome: CycleOutcome | None
) -> None:
    """Publish the bot's state when anything a client shows has changed."""
    after = _event(config, state, outcome)
    bot = config
    try:
        await ctx.publisher.bot_state(bot.user_id, bot.id, after)
    except Exception:  # the change is committed; a lost event is refreshed by the next one
        log.warning("bot %s: state event not published", bot.id, exc_info=True)


def _committed(bot: BotConfig, outcome: CycleOutcome, due_at: datetime, started: datetime) -> None:
    """A cycle's write committed: its log lines and its metrics."""
    done = datetime.now(UTC)
    metrics.CYCLE_SECONDS.observe((done - started).total_seconds())
    metrics.CYCLE_LATENESS.observe(max(0.0, (done - due_at).total_seconds()))
    for t in outcome.trades:
        metrics.TRADES.labels(t.fill.side.value).inc()
    if outcome.stop_reason:
        metrics.AUTO_STOPS.labels(outcome.stop_reason).inc()
    for t in outcome.trades:
        log.info(
            "bot %s: %s %s %s at %s (%s)",
            bot.id,
            t.fill.side.value,
            t.fill.quantity,
            bot.symbol,
            t.fill.price,
            t.reason,
        )
    if outcome.note:
        log.info("bot %s: %s", bot.id, outcome.note)
    if outcome.stop_reason:
        log.info("bot %s: stopped, %s", bot.id, outcome.stop_reason)


async def _fail(
    ctx: EngineContext, bot: BotConfig, exc: BaseException, token: str, result: BatchResult
) -> None:
    """Seed step 12: temporary errors retry with backoff (bounded), others stop the bot."""
    attempt = bot.state.retry_count + 1
    permanent = _is_permanent(exc) or attempt > ctx.settings.cycle_max_retries
    message = _describe(exc, attempt, permanent)
    wait = exc.retry_after if isinstance(exc, RateLimited) else _backoff(attempt)
    try:
        async with ctx.sessions.begin() as session:
            if permanent:
                await record_error(
                    session, bot.id, bot.user_id, token, message, attempt=attempt, name=bot.name
                )
            else:
                await release_for_retry(
                    session,
                    bot.id,
                    bot.user_id,
                    token,
                    message,
                    attempt=attempt,
                    count=not isinstance(exc, RateLimited),
                    wait=wait,
                    name=bot.name,
                )
    except Exception:
        log.exception("bot %s: could not record the failure; the lease expires by itself", bot.id)
    if permanent:
        log.error("bot %s: stopped with an error: %s", bot.id, message)
        result.failed.append(bot.id)
        await _publish_change(ctx, bot)
    else:
        log.warning("bot %s: %s; retrying in %.0fs", bot.id, message, wait)
        result.retry[bot.id] = wait


def _describe(exc: BaseException, attempt: int, permanent: bool) -> str:
    kind = type(exc).__name__
    # Exchange errors carry scrubbed, user-facing messages; others (database, bugs) only
    # their first line, which never holds statements or parameters.
    text = (
        str(exc) if isinstance(exc, ExchangeError) else (str(exc).splitlines() or [kind])[0][:200]
    )
    if permanent and not _is_permanent(exc):
        return f"gave up after {attempt - 1} retries: {kind}: {text}"[:1000]
    return f"{kind}: {text}"[:1000]
